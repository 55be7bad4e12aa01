#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/Package.swift with coverage instrumentation and AddressSanitizer, then
# runs each for a bounded time; exits non-zero when any target finds a crash, a hang or an allocation past the
# memory limits. Run from anywhere; `make fuzz` calls it.
#
#   Fuzz/run.sh [target...]          targets: profile model npy onnx (default: all four)
#   FUZZ_SECONDS=300 Fuzz/run.sh npy  fuzz time per target (default 60 s)
#   FUZZ_SEED=7 Fuzz/run.sh           the fuzzer's random seed (default 1: a run explores the same inputs
#                                     in the same order each time, so CI's verdict is repeatable)
#   Fuzz/run.sh --build               only build the targets
#
# New inputs go to .build-fuzz/corpus/<target>/, crash inputs to .build-fuzz/artifacts/<target>/, the
# fuzzer's output to .build-fuzz/logs/<target>.log; the seeds in Fuzz/corpus/<target>/ are only read.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
seed=${FUZZ_SEED:-1}
# Traps are reported by libFuzzer and the sanitizer (with the Swift runtime message), not by the Swift backtracer.
export SWIFT_BACKTRACE=enable=no
build_path=.build-fuzz
binaries=$build_path/debug

build() {
    # --sanitize fuzzer links libFuzzer's main and instruments C code (Yams' libyaml); -Xswiftc adds the
    # coverage instrumentation to the Swift libraries too, which `--sanitize fuzzer` gives only to the harness.
    "${SWIFT:-swift}" build --package-path Fuzz --build-path "$build_path" \
        --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld
}

# The binary of a target and the seed directories it reads (its own corpus first).
binary() {
    case $1 in
        profile) echo FuzzProfile ;;
        model) echo FuzzModel ;;
        npy) echo FuzzNPY ;;
        onnx) echo FuzzONNX ;;
        *) echo "unknown fuzz target '$1' (expected profile, model, npy or onnx)" >&2; return 1 ;;
    esac
}
seeds() {
    case $1 in
        profile) echo Fuzz/corpus/profile HardwareProfiles Tests/ACIMProfilesTests/Broken ;;
        *) echo "Fuzz/corpus/$1" ;;
    esac
}

if [ "${1:-}" = "--build" ]; then
    build
    exit
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(profile model npy onnx)
for target in "${targets[@]}"; do binary "$target" >/dev/null; done

if ! build; then
    echo "fuzz: FAILED: the fuzz targets did not build"
    exit 1
fi
mkdir -p "$build_path/logs"
failed=()
for target in "${targets[@]}"; do
    name=$(binary "$target")
    corpus=$build_path/corpus/$target
    artifacts=$build_path/artifacts/$target
    log=$build_path/logs/$target.log
    mkdir -p "$corpus" "$artifacts"
    echo "fuzz: $target for ${seconds}s"
    # shellcheck disable=SC2046
    if "$binaries/$name" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -dict="Fuzz/dict/$target.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "$corpus" $(seeds "$target") >"$log" 2>&1; then
        echo "fuzz: $target ok: $(grep -m1 -o 'Done [0-9]* runs in [0-9]* second(s)' "$log" || echo 'done')," \
            "$(ls "$corpus" | wc -l) inputs in its corpus"
    else
        status=$?
        echo "fuzz: $target FAILED (exit $status); the end of $log:"
        tail -n 60 "$log"
        ls "$artifacts"/* 2>/dev/null | sed 's/^/fuzz: crash input: /'
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (reproduce: $binaries/<Target> <crash input>)"
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a crash"
