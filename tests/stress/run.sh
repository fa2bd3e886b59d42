#!/usr/bin/env bash
# The full stress run: 16 concurrent callers for 30 seconds (CI runs the same test for 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
GOVEXEC_STRESS_SECONDS="${GOVEXEC_STRESS_SECONDS:-30}" dotnet test tests/GovernedExecution.Core.Tests -c Release --filter "FullyQualifiedName~StressTests"
