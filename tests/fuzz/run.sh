#!/usr/bin/env bash
# A bounded fuzzing campaign: SharpFuzz-instrumented GovernedExecution.Core under AFL++ (afl-fuzz, Debian's afl++
# package), one target after another, SECONDS each (default 600). Findings land in tests/fuzz/findings/ (ignored);
# every crashing or hanging input is copied to tests/fuzz/regressions/TARGET/, which the test suite replays.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cedar-policy entities-json artifact lineage)

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
tools="$root/.tools"
[ -x "$tools/sharpfuzz" ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$tools"

out="$here/findings/bin"
rm -rf "$out"
dotnet publish "$here/GovernedExecution.Fuzz" -c Release -o "$out" --nologo -v quiet

# Seeds first: instrumented code only runs under the fuzzer.
seeds="$here/findings/seeds"
rm -rf "$seeds"
cp -r "$here/seeds" "$seeds"
dotnet "$out/GovernedExecution.Fuzz.dll" seed "$seeds"
"$tools/sharpfuzz" "$out/GovernedExecution.Core.dll"

export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1
for target in "${targets[@]}"; do
    rm -rf "$here/findings/$target"
    afl-fuzz -V "$seconds" -t 10000 -m none -i "$seeds/$target" -o "$here/findings/$target" -- dotnet "$out/GovernedExecution.Fuzz.dll" "$target" >"$here/findings/$target.log" 2>&1 || true
    stats="$here/findings/$target/default/fuzzer_stats"
    mkdir -p "$here/regressions/$target"
    for kind in crashes hangs; do
        for f in "$here/findings/$target/default/$kind"/id:*; do
            [ -e "$f" ] && cp "$f" "$here/regressions/$target/$kind-$(sha256sum "$f" | cut -c1-16)"
        done
    done
    echo "$target: $(grep -E '^(execs_done|run_time|saved_crashes|saved_hangs|corpus_count)' "$stats" | tr -s ' ' | tr '\n' ' ')"
done
