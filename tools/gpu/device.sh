#!/usr/bin/env bash
# The GPU kit on the lent GPU machine, from the repository root, with tools/gpu/.kit carried (tools/gpu/README.md):
#   bash tools/gpu/device.sh build   LibTorchSharp for this machine's PyTorch (skipped when TorchSharp's own links), info, agree
#   bash tools/gpu/device.sh check   the measurements, the library and PyTorch + timm side by side
#   bash tools/gpu/device.sh all     both
# Writes kit.log, native-build.log, results.jsonl and the built libLibTorchSharp.so to $OUT.
set -uo pipefail
stage="${1:-all}"
OUT="${OUT:-/tmp/gpu-kit-out}"
mkdir -p "$OUT"
main() {
fail=0
kit="$PWD/tools/gpu/.kit"
python="${PYTHON:-python3}"
device="${KIT_DEVICE:-cuda}"
epochs="${KIT_EPOCHS:-3}"
folder="${KIT_FOLDER:-$PWD/tests/MLNet.CSP.Tests/TestData/fashion-mnist/train}"
size="${KIT_SIZE:-224}" # the large-image runs (cspresnet50)
started=$(date +%s)
say() { echo "[$(( $(date +%s) - started )) s] $*"; }

TORCH_LIB="${TORCH_LIB:-$($python -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}"
[ -d "$TORCH_LIB" ] || { say "no libtorch folder (TORCH_LIB='$TORCH_LIB'): is PyTorch installed for $python?"; exit 1; }
say "libtorch from $TORCH_LIB"
[ -f "$kit/gpucheck.tar.xz" ] || { say "no $kit/gpucheck.tar.xz: run tools/gpu/kit.sh publish and carry tools/gpu/.kit"; exit 1; }
app=/tmp/gpucheck
rm -rf "$app" && mkdir -p "$app" && xz -dc "$kit/gpucheck.tar.xz" | tar -x -C "$app"
export LD_LIBRARY_PATH="$app:$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
lib="$app/libLibTorchSharp.so"
[ -f "$kit/libLibTorchSharp.so" ] && cp "$kit/libLibTorchSharp.so" "$lib" && say "using the LibTorchSharp built on an earlier lease"
# Undefined symbols and missing libraries or (non-weak) versions: what stops the loader.
undefined() { [ -f "$1" ] || { echo missing; return; }; ldd -r "$1" 2>&1 | grep -v "weak version" | grep -c -E "undefined symbol|not found"; }

if [ "$stage" != check ]; then
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
  $python -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' || true
  missing=$(undefined "$lib")
  say "libLibTorchSharp.so against this libtorch: $missing undefined symbols or missing libraries"
  if [ "$missing" != 0 ]; then
    [ -d "$kit/LibTorchSharp-src" ] || { say "no sources: run tools/gpu/kit.sh source and carry tools/gpu/.kit"; exit 1; }
    prefix="${TORCH_CMAKE_PREFIX:-$($python -c 'import torch; print(torch.utils.cmake_prefix_path)')}"
    say "building LibTorchSharp ($(cat "$kit/LibTorchSharp-src/COMMIT")) against $prefix"
    rm -rf /tmp/lts-build
    cmake -S tools/gpu/native -B /tmp/lts-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
      -DLIBTORCHSHARP_SOURCE="$kit/LibTorchSharp-src" > "$OUT/native-build.log" 2>&1
    ninja -C /tmp/lts-build -k 0 -j "$(nproc)" >> "$OUT/native-build.log" 2>&1
    built=$?
    grep -E "error:|Error" "$OUT/native-build.log" | head -40
    [ $built = 0 ] || { say "the native build failed (native-build.log)"; exit 1; }
    cp /tmp/lts-build/libLibTorchSharp.so "$lib"
    cp "$lib" "$OUT/libLibTorchSharp.so"
    say "built: $(undefined "$lib") undefined symbols"
  fi
  "$app/GpuCheck" info | tee -a "$OUT/results.jsonl"; [ "${PIPESTATUS[0]}" = 0 ] || { [ "$device" = cpu ] || fail=1; }
  "$app/GpuCheck" agree "$device" | tee -a "$OUT/results.jsonl"; [ "${PIPESTATUS[0]}" = 0 ] || fail=1
  say "build stage done"
fi

if [ "$stage" != build ]; then
  left=$(undefined "$lib")
  [ "$left" = 0 ] || { say "libLibTorchSharp.so does not link here ($left): run the build stage, or copy its \$OUT/libLibTorchSharp.so into tools/gpu/.kit"; exit 1; }
  run() {
    say "$*"
    "$@" > /tmp/kit-run.log 2>&1
    local status=$?
    grep -E "^RESULT|rror|xception" /tmp/kit-run.log | tee -a "$OUT/results.jsonl"
    [ $status = 0 ] || { say "exit status $status"; fail=1; }
  }
  peer() { [ -n "${KIT_SKIP_PEER:-}" ] || run $python tools/gpu/peer_gpu.py "$@"; }
  run "$app/GpuCheck" train "$folder" cs3darknet_s 32 64 "$epochs" "$device"
  peer train "$folder" cs3darknet_s 32 64 "$epochs"
  run "$app/GpuCheck" train "$folder" cspresnet50 "$size" 64 "$epochs" "$device"
  peer train "$folder" cspresnet50 "$size" 64 "$epochs"
  run "$app/GpuCheck" featurize "$folder" cspresnet50 "$size" 64 "$device"
  peer featurize "$folder" cspresnet50 "$size" 64
  run "$app/GpuCheck" bf16 cspresnet50 "$size" 64 "$device"
  peer bf16 cspresnet50 "$size" 64
  [ "$device" = cpu ] || run "$app/GpuCheck" train "$folder" cs3darknet_s 32 64 "$epochs" cpu
  say "check stage done"
fi

exit $fail
}

main 2>&1 | tee -a "$OUT/kit.log"
exit "${PIPESTATUS[0]}"
