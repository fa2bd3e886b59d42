#!/usr/bin/env bash
# Runs the official Cedar engine (npm @cedar-policy/cedar-wasm under Node.js) and this project's engine on the same
# policy sets, entities and requests; checks that every decision agrees; prints the time per decision and the ratio.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ ! -d "$here/node_modules/@cedar-policy/cedar-wasm" ]; then
    (cd "$here" && npm install --no-audit --no-fund --silent @cedar-policy/cedar-wasm@4.13.0 >/dev/null)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet run -c Release --project "$root/benchmarks/GovernedExecution.Benchmarks" -- cedar-export "$work"
node "$here/compare.mjs" "$work"
