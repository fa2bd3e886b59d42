#!/usr/bin/env bash
# Mutation testing of the fail-closed core (executor, verifier, policy combining) with Stryker.NET.
# Not part of CI: it runs the test suite once per mutant. Results land in tests/mutation/StrykerOutput/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/.tools"
if [ ! -x "$tools/dotnet-stryker" ]; then
    dotnet tool install dotnet-stryker --version 5.1.0 --tool-path "$tools"
fi
cd "$root/src/GovernedExecution.Core"
"$tools/dotnet-stryker" --config-file "$here/stryker-config.json" --output "$here/StrykerOutput" "$@"
