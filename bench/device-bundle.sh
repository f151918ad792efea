#!/usr/bin/env bash
# Builds the bundle bench/device.sh runs on a GPU machine that has no Node and no network:
#   out/device/flowstudio-device.tar.gz   (checked to stay under 60 MiB: a device call carries
#                                          at most 64 MiB, the repository included)
# It holds this machine's Node binary, the step benchmark (bench/flow.ts with the engine) as
# one ES module, the tfjs packages whose files are found relative to their own folders
# (tfjs-core, the cpu/wasm/webgpu backends, with the wasm binaries and the patched wasm
# worker files), Dawn (the webgpu package's dawn.node for linux-x64) and the Vulkan loader
# (libvulkan.so.1, used there only when the machine has none).
#
# usage: bench/device-bundle.sh            (after npm ci; needs libvulkan1 installed here)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -m)" != "x86_64" ]; then
  echo "device-bundle: this machine is $(uname -m); the GPU machine is x86-64 and needs x86-64 binaries" >&2
  exit 1
fi
loader=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ {print $NF; exit}')
if [ -z "$loader" ]; then
  echo "device-bundle: no libvulkan.so.1 here (apt-get install libvulkan1)" >&2
  exit 1
fi

out=out/device
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/flowstudio-device"
mkdir -p "$root/lib" "$root/node_modules" "$out"

# The benchmark and the engine in one module. tfjs-core and the backends stay outside, so that
# one tfjs-core instance is shared and the backends find their .wasm / worker / .node files.
node_modules/.bin/esbuild bench/flow.ts --bundle --platform=node --format=esm --target=node20 \
  --outfile="$root/flow.mjs" --log-level=error \
  --external:@tensorflow/tfjs-core --external:@tensorflow/tfjs-backend-cpu \
  --external:@tensorflow/tfjs-backend-wasm --external:@tensorflow/tfjs-backend-webgpu --external:webgpu \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"

cp "$(node -p process.execPath)" "$root/node"
cp -L "$loader" "$root/lib/libvulkan.so.1"

# copy PACKAGE FILE... : the package's package.json and the named files, nothing else.
copy() {
  local pkg=$1
  shift
  for f in package.json "$@"; do
    mkdir -p "$(dirname "$root/node_modules/$pkg/$f")"
    cp "node_modules/$pkg/$f" "$root/node_modules/$pkg/$f"
  done
}
copy @tensorflow/tfjs-core dist/tf-core.node.js
copy @tensorflow/tfjs-backend-cpu dist/tf-backend-cpu.node.js
copy @tensorflow/tfjs-backend-webgpu dist/tf-backend-webgpu.node.js
copy @tensorflow/tfjs-backend-wasm dist/tf-backend-wasm.node.js \
  dist/tfjs-backend-wasm.wasm dist/tfjs-backend-wasm-simd.wasm dist/tfjs-backend-wasm-threaded-simd.wasm \
  wasm-out/tfjs-backend-wasm-threaded-simd.js wasm-out/tfjs-backend-wasm-threaded-simd.worker.js \
  wasm-out/tfjs-backend-wasm-threaded-simd.node-worker.js
copy webgpu index.js dist/linux-x64/dawn.node
# seedrandom: the cpu backend's one runtime dependency.
seed=$(node -p "require('path').dirname(require.resolve('seedrandom/package.json', { paths: [require.resolve('@tensorflow/tfjs-backend-cpu')] }))")
mkdir -p "$root/node_modules/seedrandom"
cp -r "$seed/package.json" "$seed/index.js" "$seed/seedrandom.js" "$seed/lib" "$root/node_modules/seedrandom/"

# The bundle must load here before it goes anywhere.
(cd "$root" && ./node -e "import('./node_modules/webgpu/index.js').then(() => console.error('device-bundle: dawn.node loads'))")

tar -C "$stage" -czf "$out/flowstudio-device.tar.gz" flowstudio-device
bytes=$(stat -c %s "$out/flowstudio-device.tar.gz")
unpacked=$(du -sb "$root" | cut -f1)
echo "device-bundle: $out/flowstudio-device.tar.gz $((bytes / 1048576)) MiB ($bytes bytes; $((unpacked / 1048576)) MiB unpacked)"
if [ "$bytes" -gt $((60 * 1048576)) ]; then
  echo "device-bundle: over 60 MiB: it would not fit in a 64 MiB device call with the repository" >&2
  exit 1
fi
