#!/usr/bin/env bash
# Compiles and links the CPU addon's sources (native/cpu and native/common) for aarch64 Linux with Debian's cross compiler, the way
# CMakeLists.txt builds them on a non-x86 host (no *_avx2/*_avx512/*_avx512vnni files, scalar dispatch only), to
# check that a source build on ARM still works; runs the aarch64 kernels under qemu-aarch64 when it is
# installed, and the thread pool's non-Linux wait path here. Not part of CI: it needs
#   apt-get install -y g++-aarch64-linux-gnu
# Usage: packages/tensor/scripts/cross-check.sh   (CXX=... to try another cross compiler)
set -euo pipefail
cd "$(dirname "$0")/.."
CXX="${CXX:-aarch64-linux-gnu-g++}"
command -v "$CXX" >/dev/null || { echo "cross-check: $CXX not found (apt-get install -y g++-aarch64-linux-gnu)" >&2; exit 2; }
# The same headers cmake-js compiles against: node-api-headers (its dependency) and node-addon-api.
napi_inc="$(node -p "require(require.resolve('node-api-headers', {paths: [require.resolve('cmake-js')]})).include_dir")"
addon_inc="$(node -p "require('node-addon-api').include_dir")"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
flags=(-std=c++17 -O2 -fPIC -fno-math-errno -fno-trapping-math -fopenmp-simd -Wall -Wno-unused-function -Werror
       -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_CPP_EXCEPTIONS_ALL
       -I"$napi_inc" -I"$addon_inc" -Inative)
objs=()
failed=0
for src in native/cpu/*.cpp native/common/*.cpp; do
  case "$src" in *_avx2.cpp|*_avx512.cpp|*_avx512vnni.cpp) continue ;; esac
  obj="$out/$(basename "$src" .cpp).o"
  if "$CXX" "${flags[@]}" -c "$src" -o "$obj"; then objs+=("$obj"); else echo "cross-check: FAILED $src" >&2; failed=1; fi
done
[ "$failed" = 0 ] || exit 1
# Link as the .node would be (Node-API symbols stay undefined, resolved by node at load time): catches a
# dispatch that still names an x86-only kernel.
"$CXX" -shared -pthread -o "$out/gptj_cpu.node" "${objs[@]}"
echo "cross-check: ${#objs[@]} sources compiled and linked for $("$CXX" -dumpmachine) ($(file -b "$out/gptj_cpu.node" | cut -d, -f1-2))"
# The kernels an aarch64 build runs, and its thread pool, executed under qemu-aarch64 where installed
# (apt-get install -y qemu-user); statically linked so no aarch64 libraries are needed.
kernel_srcs=(native/cpu/{gemm,gemv,linear,linear_isa,convert,threadpool,rowops,rowops_base,host_alloc,q4}.cpp)
if command -v qemu-aarch64 >/dev/null; then
  "$CXX" "${flags[@]}" -static scripts/kernels-check.cpp "${kernel_srcs[@]}" -pthread -o "$out/kernels-check"
  qemu-aarch64 "$out/kernels-check"
  "$CXX" -std=c++17 -O2 -Wall -Werror -Inative -static scripts/threadpool-stress.cpp native/cpu/threadpool.cpp -pthread -o "$out/tp"
  timeout 300 qemu-aarch64 "$out/tp"
else
  echo "cross-check: qemu-aarch64 not found: aarch64 kernels compiled, not run"
fi
# The thread pool's non-Linux wait path (what macOS runs), built for this host with __linux__ undefined
# and stressed: a lost wake-up hangs, hence the timeout.
"${HOST_CXX:-g++}" -std=c++17 -O2 -Wall -Werror -U__linux__ -Inative scripts/threadpool-stress.cpp native/cpu/threadpool.cpp \
  -pthread -o "$out/threadpool-stress"
timeout 120 "$out/threadpool-stress"
