#!/usr/bin/env bash
# Training throughput, the library's trainer against the PyTorch peer, interleaved on the same cores (docs/benchmarks.md,
# "Training throughput against PyTorch"). Needs Debian's python3-torch (apt-get install python3-torch) and a Release build
# of tests/MLNet.CSP.Benchmarks.
#   tests/MLNet.CSP.Benchmarks/peer/compare-training.sh [FOLDER] [ROUNDS] [EPOCHS] [SIZE] [BATCH] [MODEL]
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
folder="${1:-$root/tests/MLNet.CSP.Tests/TestData/fashion-mnist/train}"
rounds="${2:-3}"
epochs="${3:-3}"
size="${4:-32}"
batch="${5:-64}"
model="${6:-cs3darknet_s}"
bench="$root/tests/MLNet.CSP.Benchmarks/bin/Release/net10.0/MLNet.CSP.Benchmarks.dll"
peer="$root/tests/MLNet.CSP.Benchmarks/peer"
[ -f "$bench" ] || { echo "Build first: dotnet build tests/MLNet.CSP.Benchmarks -c Release" >&2; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "No PyTorch for /usr/bin/python3: apt-get install python3-torch" >&2; exit 1; }
dotnet "$bench" peer-weights /tmp/mlnet-csp-peer-check.pth "$model" > /dev/null 2>&1
/usr/bin/python3 "$peer/pytorch_peer.py" check /tmp/mlnet-csp-peer-check.pth
echo "$(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $model ${size}x${size}, batch $batch"
echo "| round | MLNet.CSP images/s (epochs 2..$epochs) | PyTorch images/s (epochs 2..$epochs) | ratio of the slowest |"
echo "|---|---|---|---:|"
for round in $(seq 1 "$rounds"); do
  ours=$(TRAINER_SPEED_SIZE=$size TRAINER_SPEED_BATCH=$batch TRAINER_SPEED_MODEL=$model dotnet "$bench" trainer-speed "$folder" "$epochs" whole 2>/dev/null | sed -n 's/^whole: epoch \([0-9]*\): \([0-9.]*\) images.*/\1 \2/p' | awk '$1 > 1 {print $2}' | paste -sd/)
  theirs=$(/usr/bin/python3 "$peer/pytorch_peer.py" train "$folder" "$epochs" "$batch" "$size" "$model" | sed -n 's/^pytorch: epoch \([0-9]*\): \([0-9.]*\) images.*/\1 \2/p' | awk '$1 > 1 {print $2}' | paste -sd/)
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { n = split(a, x, "/"); m = split(b, y, "/"); mx = x[1]; for (i = 2; i <= n; i++) if (x[i] < mx) mx = x[i]; my = y[1]; for (i = 2; i <= m; i++) if (y[i] < my) my = y[i]; printf "%.2f", mx / my }')
  echo "| $round | $ours | $theirs | $ratio |"
done
