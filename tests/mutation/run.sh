#!/usr/bin/env bash
# Mutation testing with Stryker.NET. Not part of CI: it runs the test suite once per mutant.
#
#   tests/mutation/run.sh [TARGET] [stryker options...]
#
# TARGET chooses the configuration (default: core):
#   core                    stryker-config.json: the fail-closed core (executor, verifier, policy combining);
#                           results in tests/mutation/StrykerOutput/
#   extensions-ai           stryker-config.extensions-ai.json: GovernedExecution.Extensions.AI and the shared
#                           argument binding; results in tests/mutation/StrykerOutput/extensions-ai/
#   model-context-protocol  stryker-config.model-context-protocol.json: GovernedExecution.ModelContextProtocol and
#                           the shared argument binding; results in tests/mutation/StrykerOutput/model-context-protocol/
#
# Stryker 5.1.0 ignores the `mutate` list of a configuration file, so for the integration targets the files to mutate
# are passed here as -m patterns unless the caller passes its own. The shared sources (src/Shared) are compiled into
# both integration packages: each target mutates its own copy and runs the tests that reach it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/.tools"

target="core"
case "${1:-}" in
    core|extensions-ai|model-context-protocol) target="$1"; shift ;;
    -*|"") ;;
    *) echo "unknown target '$1': core, extensions-ai or model-context-protocol" >&2; exit 2 ;;
esac

mutate=()
case "$target" in
    core)
        project="GovernedExecution.Core"; config="stryker-config.json"; output="$here/StrykerOutput" ;;
    extensions-ai)
        project="GovernedExecution.Extensions.AI"; config="stryker-config.extensions-ai.json"; output="$here/StrykerOutput/$target"
        mutate=(-m "**/GovernedExecution.Extensions.AI/GovernedAIFunction.cs" -m "**/GovernedExecution.Extensions.AI/GovernedAIFunctionExtensions.cs"
                -m "**/GovernedExecution.Extensions.AI/GovernedToolIntent.cs" -m "**/GovernedExecution.Extensions.AI/GovernedToolSettings.cs"
                -m "**/GovernedExecution.Extensions.AI/GovernedAgent.cs"
                -m "**/Shared/MethodToolArgumentBinder.cs" -m "**/Shared/ToolArgumentBinder.cs" -m "**/Shared/ToolArguments.cs"
                -m "**/Shared/ToolRefusal.cs" -m "**/Shared/ToolSeams.cs" -m "**/Shared/ToolBinding.cs") ;;
    model-context-protocol)
        project="GovernedExecution.ModelContextProtocol"; config="stryker-config.model-context-protocol.json"; output="$here/StrykerOutput/$target"
        mutate=(-m "**/GovernedExecution.ModelContextProtocol/*.cs" -m "**/Shared/SchemaToolArgumentBinder.cs") ;;
esac

for arg in "$@"; do
    if [ "$arg" = "-m" ] || [ "$arg" = "--mutate" ]; then
        mutate=()
    fi
done

if [ ! -x "$tools/dotnet-stryker" ]; then
    dotnet tool install dotnet-stryker --version 5.1.0 --tool-path "$tools"
fi
cd "$root/src/$project"
"$tools/dotnet-stryker" --config-file "$here/$config" --output "$output" "${mutate[@]}" "$@"
