#!/usr/bin/env bash
# The training-step benchmark on webgpu, on a machine with a GPU and Vulkan but no Node and no
# network, from the bundle bench/device-bundle.sh builds (out/device/flowstudio-device.tar.gz).
# Prints one JSON object: the machine, the adapter Dawn chose, and per case the step time and
# training images/s (bench/flow.ts's figures). Each case runs in its own process with its own
# time limit, so one that runs out of memory or time is reported and the others still run.
#
# usage: bench/device.sh [--backend webgpu|wasm] [--no-sample] [preset:batch:steps ...]
#   default cases: fashion-mnist-small at batch 16 and 64, paper-cifar10 at 64,
#   paper-celebahq1024 at 4.  FLOWSTUDIO_CASE_SECONDS: limit per case (default 240).
#   FLOWSTUDIO_DEVICE_BUNDLE: another bundle file. --backend wasm runs the same cases on the
#   CPU (threaded wasm, every core up to 8): a reference on the same machine.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bundle="${FLOWSTUDIO_DEVICE_BUNDLE:-$here/out/device/flowstudio-device.tar.gz}"
if [ ! -f "$bundle" ]; then
  echo "device.sh: no bundle at $bundle (build it where npm works: bench/device-bundle.sh)" >&2
  exit 2
fi

backend=webgpu
sample=()
cases=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-sample) sample=(--no-sample) ;;
    --backend)
      backend="${2:-}"
      shift
      ;;
    *) cases+=("$1") ;;
  esac
  shift
done
if [ "$backend" != webgpu ] && [ "$backend" != wasm ]; then
  echo "device.sh: --backend must be webgpu or wasm, got '$backend'" >&2
  exit 2
fi
if [ ${#cases[@]} -eq 0 ]; then
  cases=(fashion-mnist-small:16:10 fashion-mnist-small:64:10 paper-cifar10:64:5 paper-celebahq1024:4:3)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/flowstudio-device.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$bundle" -C "$work"
dir="$work/flowstudio-device"

# The Vulkan loader: the machine's own, else the carried one.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# NVIDIA's driver manifest where the loader does not look by itself (the device README's path).
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then
  if ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
    export VK_ADD_DRIVER_FILES="$nvidia_icd"
  else
    export VK_DRIVER_FILES="$nvidia_icd"
  fi
fi

limit="${FLOWSTUDIO_CASE_SECONDS:-240}"
: >"$work/lines.jsonl"
for c in "${cases[@]}"; do
  started=$(date +%s)
  if FLOWSTUDIO_BACKEND=$backend timeout "$limit" "$dir/node" "$dir/flow.mjs" "$backend" --case "$c" "${sample[@]}" \
    >"$work/case.out" 2>"$work/case.err"; then
    tail -n 1 "$work/case.out" >>"$work/lines.jsonl"
  else
    code=$?
    why=$(grep -v '^Warning: ' "$work/case.err" | tail -n 1 | cut -c1-300 || true)
    [ "$code" = 124 ] && why="timed out after ${limit} s"
    CASE="$c" WHY="$why" CODE="$code" SECONDS_TAKEN=$(($(date +%s) - started)) "$dir/node" -e \
      'console.log(JSON.stringify({ case: process.env.CASE, exitCode: Number(process.env.CODE), seconds: Number(process.env.SECONDS_TAKEN), error: process.env.WHY }))' \
      >>"$work/lines.jsonl"
  fi
done

GPU_NAME=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true) \
  "$dir/node" -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const ran = lines.find((l) => l.backend);
const os = require("os");
console.log(JSON.stringify({
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", node: process.version, nvidiaSmi: process.env.GPU_NAME || null },
  backend: ran?.backend ?? null,
  adapter: ran?.adapter ?? null,
  threads: ran?.threads ?? null,
  results: lines.flatMap((l) => (l.backend ? l.results.map((r) => (r.error ? r : { ...r, peakRssMiB: l.peakRssMiB, peakTensorMiB: l.peakTensorMiB })) : [l])),
}, null, 2));
' "$work/lines.jsonl"
