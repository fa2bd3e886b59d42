#!/usr/bin/env bash
# Runs the differential test against the official Cedar engine (CedarDifferentialTests) for longer than CI does.
#
#   tests/interop/cedar-diff.sh [SEEDS] [COUNT] [OUTDIR]
#
# SEEDS is one seed or a comma-separated list (default 1,2,3,4,5), COUNT the generated cases per seed (default 2000;
# each case has 2 to 5 requests). Every disagreement is shrunk, printed, and written to OUTDIR (default
# ${TMPDIR:-/tmp}/cedar-diff) as a regression case with the official engine's outcome, ready to be added to
# tests/GovernedExecution.Core.Tests/Policies/Cedar/Differential/regressions.json; the batches go there too.
# Half of the cases come with a random schema (decided with it, and their policies validated against it); set
# GOVEXEC_DIFF_SCHEMAS (0 to 1) to change the share.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash .ci/setup-node-tools
export GOVEXEC_DIFF_SEED="${1:-1,2,3,4,5}"
export GOVEXEC_DIFF_COUNT="${2:-2000}"
export GOVEXEC_DIFF_OUT="${3:-${TMPDIR:-/tmp}/cedar-diff}"
dotnet build tests/GovernedExecution.Core.Tests/GovernedExecution.Core.Tests.csproj -c Release
dotnet test tests/GovernedExecution.Core.Tests/GovernedExecution.Core.Tests.csproj -c Release --no-build \
    --filter "FullyQualifiedName~CedarDifferentialTests" --logger "console;verbosity=detailed"
