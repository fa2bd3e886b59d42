#!/usr/bin/env bash
# A bounded fuzzing campaign over the parsers that take outside input: SharpFuzz-instrumented GovernedExecution.Core
# under libFuzzer (the default) or AFL++, one target after another, SECONDS each (default 600). Findings land in
# tests/fuzz/findings/ (ignored); every crashing or hanging input is copied to tests/fuzz/regressions/TARGET/,
# which the test suite replays.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]             libFuzzer: clang with Debian's libclang-rt-14-dev
#   FUZZ_ENGINE=afl tests/fuzz/run.sh [SECONDS] [TARGET...]   AFL++: Debian's afl++
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(cedar-policy entities-json artifact lineage)
engine="${FUZZ_ENGINE:-libfuzzer}"

case "$engine" in
    libfuzzer) command -v clang >/dev/null || { echo "clang not found: apt-get install clang libclang-rt-14-dev" >&2; exit 1; } ;;
    afl) command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; } ;;
    *) echo "FUZZ_ENGINE must be libfuzzer or afl" >&2; exit 2 ;;
esac
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

keep() { # keep TARGET KIND FILE: a finding becomes a regression input
    [ -e "$3" ] || return 0
    mkdir -p "$here/regressions/$1"
    cp "$3" "$here/regressions/$1/$2-$(sha256sum "$3" | cut -c1-16)"
}

if [ "$engine" = libfuzzer ]; then
    clang -O2 -fsanitize=fuzzer "$here/libfuzzer/dotnet-driver.c" -o "$out/dotnet-driver"
    for target in "${targets[@]}"; do
        found="$here/findings/libfuzzer/$target"
        rm -rf "$found" && mkdir -p "$found/corpus" "$found/artifacts"
        GOVEXEC_FUZZ_DLL="$out/GovernedExecution.Fuzz.dll" GOVEXEC_FUZZ_TARGET="$target" \
            "$out/dotnet-driver" -max_total_time="$seconds" -timeout=10 -max_len=65536 -print_final_stats=1 \
            -artifact_prefix="$found/artifacts/" "$found/corpus" "$seeds/$target" >"$found.log" 2>&1 || true
        for f in "$found/artifacts"/*; do
            case "$(basename "$f")" in crash-*) keep "$target" crash "$f" ;; timeout-*|slow-unit-*) keep "$target" hang "$f" ;; oom-*) keep "$target" oom "$f" ;; esac
        done
        echo "$target: $(grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$found.log" | tr '\n' ' ') findings: $(ls "$found/artifacts" | wc -l)"
    done
    exit 0
fi

export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1
for target in "${targets[@]}"; do
    found="$here/findings/$target"
    rm -rf "$found"
    afl-fuzz -V "$seconds" -t 10000 -m none -i "$seeds/$target" -o "$found" -- dotnet "$out/GovernedExecution.Fuzz.dll" "$target" >"$found.log" 2>&1 || true
    for f in "$found/default/crashes"/id:*; do keep "$target" crash "$f"; done
    for f in "$found/default/hangs"/id:*; do keep "$target" hang "$f"; done
    echo "$target: $(grep -E '^(execs_done|run_time|saved_crashes|saved_hangs|corpus_count)' "$found/default/fuzzer_stats" | tr -s ' ' | tr '\n' ' ')"
done
