#!/usr/bin/env bash
# GPU check of the @gptj/tensor CUDA backend: the CUDA tests, then the GPT-J 6B-shaped benchmark,
# then a short table (last). Two halves:
#
#   1. Here (a dev machine with nvcc 13 and the workspace installed):
#        bash tools/gpu-check.sh --prepare
#      builds the addons for sm_90 (H100/H200), compiles the package, the CUDA tests and the bench to
#      JS, and packs them with node into .devcarry/ (node.xz ~24 MB + payload.tar.xz ~3 MB; .devcarry/
#      is git-ignored, so it travels only when carried).
#   2. On the lent GPU machine (no node, no pnpm, no node_modules there), through the device tool:
#        run(command="bash tools/gpu-check.sh", carry=[".devcarry"], timeout_s=540)
#      It unpacks node and the payload, rebuilds the addons there with cmake only if they are
#      missing or GPTJ_REBUILD=1 is set, runs the tests and the bench (logs under $OUT), in well
#      under 8 minutes. Give the machine back afterwards unless you rerun at once.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARRY=$ROOT/.devcarry

prepare() {
  local stage build
  stage=$(mktemp -d) build=${GPTJ_GPUCHECK_BUILD:-/tmp/gptj-gpucheck-build}
  mkdir -p "$CARRY"
  echo "== building the addons for sm_90 in $build"
  (cd packages/tensor && npx cmake-js configure --log-level warn -O "$build" --CDCMAKE_CUDA_ARCHITECTURES=90 &&
    cmake --build "$build" -j2)
  echo "== compiling TypeScript"
  (cd packages/tensor && npx tsc -b) && (cd tools/gpu-bench && npx tsc -b)
  # The CUDA test files as JS beside the package's own sources, so their relative imports hold.
  npx tsc --outDir "$stage/packages/tensor/dist-test" --rootDir packages/tensor/src --module NodeNext \
    --moduleResolution NodeNext --target ES2022 --lib ES2023 --types node --strict --skipLibCheck \
    --verbatimModuleSyntax packages/tensor/src/cuda/ops.test.ts packages/tensor/src/cuda/runner.test.ts
  mkdir -p "$stage/packages/tensor/build/Release" "$stage/packages/tensor/node_modules/vitest" \
    "$stage/tools/gpu-bench/node_modules/@gptj" "$stage/.devcarry"
  cp "$build"/Release/gptj_cpu.node "$build"/Release/gptj_cuda.node "$stage/packages/tensor/build/Release/"
  cp -r packages/tensor/dist packages/tensor/package.json "$stage/packages/tensor/"
  cp -r tools/gpu-bench/dist tools/gpu-bench/package.json "$stage/tools/gpu-bench/"
  cp tools/gpu-bench/vitest-shim.js "$stage/packages/tensor/node_modules/vitest/index.js"
  echo '{"name":"vitest","type":"module","exports":"./index.js"}' > "$stage/packages/tensor/node_modules/vitest/package.json"
  ln -sfn ../../../../packages/tensor "$stage/tools/gpu-bench/node_modules/@gptj/tensor"
  # For a rebuild there: node-addon-api (found by CMakeLists through node) and the Node-API headers.
  cp -rL packages/tensor/node_modules/node-addon-api "$stage/packages/tensor/node_modules/"
  cp -rL node_modules/.pnpm/node-api-headers@*/node_modules/node-api-headers/include "$stage/.devcarry/node-api-include"
  tar -C "$stage" -cJf "$CARRY/payload.tar.xz" .
  rm -rf "$stage"
  [ -f "$CARRY/node.xz" ] || xz -T2 -6 -c "$(command -v node)" > "$CARRY/node.xz"
  du -h "$CARRY"/*
  echo '== ready: run(command="bash tools/gpu-check.sh", carry=[".devcarry"], timeout_s=540)'
}

build_there() {
  echo "== building the addons on this machine (sm_90)"
  cmake -S packages/tensor -B /tmp/gptj-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_JS_INC="$CARRY/node-api-include" -DCMAKE_LIBRARY_OUTPUT_DIRECTORY=/tmp/gptj-build/Release > /tmp/gptj-cmake.log
  cmake --build /tmp/gptj-build -j"$(nproc)" > /tmp/gptj-build.log || { tail -40 /tmp/gptj-build.log; exit 1; }
  mkdir -p packages/tensor/build/Release
  cp /tmp/gptj-build/Release/*.node packages/tensor/build/Release/
}

check() {
  local out=${OUT:-/tmp/gptj-gpucheck} t0=$SECONDS tests_rc=0
  mkdir -p "$out"
  xz -dc "$CARRY/node.xz" > "$CARRY/node" && chmod +x "$CARRY/node"
  export PATH=$CARRY:$PATH
  tar -xJf "$CARRY/payload.tar.xz" -C "$ROOT"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  echo "node $(node --version)"
  if [ -n "${GPTJ_REBUILD:-}" ] || [ ! -f packages/tensor/build/Release/gptj_cuda.node ]; then build_there; fi

  echo "== CUDA tests"
  timeout 240 node --test --test-reporter=spec packages/tensor/dist-test/cuda/ops.test.js \
    packages/tensor/dist-test/cuda/runner.test.js > "$out/tests.log" 2>&1 || tests_rc=$?
  grep -E '^\s*(✖|not ok)|failing tests|Error' "$out/tests.log" | head -40 || true
  local pass fail
  pass=$(grep -E '^ℹ pass' "$out/tests.log" | awk '{print $3}' || true)
  fail=$(grep -E '^ℹ fail' "$out/tests.log" | awk '{print $3}' || true)
  echo "== GPU benchmark"
  timeout 300 node tools/gpu-bench/dist/main.js > "$out/bench.log" 2>&1 || echo "bench exit $?"
  sed '/^GPT-J 6B shape/,$d' "$out/bench.log"
  echo
  echo "CUDA tests: ${pass:-?} passed, ${fail:-?} failed (exit $tests_rc), log $out/tests.log; total $((SECONDS - t0)) s"
  sed -n '/^GPT-J 6B shape/,$p' "$out/bench.log"
}

case "${1:-}" in
  --prepare) prepare ;;
  "") check ;;
  *) echo "usage: bash tools/gpu-check.sh [--prepare]" >&2; exit 2 ;;
esac
