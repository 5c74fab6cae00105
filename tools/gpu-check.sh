#!/usr/bin/env bash
# GPU check of the CUDA backend: the @gptj/tensor CUDA tests, the @gptj/model CUDA tests (loadModel on
# 'cuda' against the CPU path and the transformers fixtures; features through the CUDA runner's
# forwardHidden), then the GPT-J 6B-shaped benchmark, then a short table (last). Two halves:
#
#   1. Here (a dev machine with nvcc 13 and the workspace installed):
#        bash tools/gpu-check.sh --prepare
#      builds the addons for sm_90 (H100/H200), compiles tensor, layers, the CUDA tests of tensor and
#      model and the bench to JS, and packs them with node into .devcarry/ (node.xz ~24 MB +
#      payload.tar.xz ~1.5 MB; .devcarry/ is git-ignored: copy it along with the checkout). The model
#      tests read tools/fixtures/data and packages/mini-code/checkpoint, which travel as tracked files.
#      It ends by printing how much there is to copy (tracked + untracked-not-ignored files + .devcarry).
#   2. On the GPU machine (it needs no node, pnpm or node_modules of its own), after copying the checkout
#      there with .devcarry/ included (for example `rsync -a ./ gpu-host:gptj/`):
#        bash tools/gpu-check.sh
#      It unpacks node and the payload, rebuilds the addons there with cmake only if they are
#      missing or GPTJ_REBUILD=1 is set, runs the tests and the bench (logs under $OUT, default
#      /tmp/gptj-gpucheck), in well under 8 minutes.
#        bash tools/gpu-check.sh --profile prefill fp16-b1
#      runs each named bench case under Nsight Compute and prints the GPU time per kernel.
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
  (cd packages/tensor && npx tsc -b) && (cd packages/layers && npx tsc -b) && (cd tools/gpu-bench && npx tsc -b)
  # The CUDA test files as JS beside the package's own sources, so their relative imports hold.
  npx tsc --outDir "$stage/packages/tensor/dist-test" --rootDir packages/tensor/src --module NodeNext \
    --moduleResolution NodeNext --target ES2022 --lib ES2023 --types node --strict --skipLibCheck \
    --verbatimModuleSyntax packages/tensor/src/cuda/ops.test.ts packages/tensor/src/cuda/runner.test.ts \
    packages/tensor/src/cuda/runner-failure.test.ts packages/tensor/src/cuda/bindings.test.ts
  npx tsc --outDir "$stage/packages/model/dist-test" --rootDir packages/model/src --module NodeNext \
    --moduleResolution NodeNext --target ES2022 --lib ES2023 --types node --strict --skipLibCheck \
    --verbatimModuleSyntax packages/model/src/cuda.test.ts packages/model/src/features/embed-cuda.test.ts
  mkdir -p "$stage/packages/tensor/build/Release" "$stage/packages/tensor/node_modules/vitest" \
    "$stage/tools/gpu-bench/node_modules/@gptj" "$stage/.devcarry"
  cp "$build"/Release/gptj_cpu.node "$build"/Release/gptj_cuda.node "$stage/packages/tensor/build/Release/"
  cp -r packages/tensor/dist packages/tensor/package.json "$stage/packages/tensor/"
  cp -r tools/gpu-bench/dist tools/gpu-bench/package.json "$stage/tools/gpu-bench/"
  cp tools/gpu-bench/vitest-shim.js "$stage/packages/tensor/node_modules/vitest/index.js"
  echo '{"name":"vitest","type":"module","exports":"./index.js"}' > "$stage/packages/tensor/node_modules/vitest/package.json"
  ln -sfn ../../../../packages/tensor "$stage/tools/gpu-bench/node_modules/@gptj/tensor"
  # @gptj/model's CUDA tests: layers' dist, the shim as 'vitest', yauzl (+ pend), and links to the
  # workspace packages (fixtures and the mini-code checkpoint are tracked, so they are there already).
  mkdir -p "$stage/packages/layers/node_modules/@gptj" "$stage/packages/model/node_modules/@gptj"
  cp -r packages/layers/dist "$stage/packages/layers/"
  ln -sfn ../../../tensor "$stage/packages/layers/node_modules/@gptj/tensor"
  cp -r "$stage/packages/tensor/node_modules/vitest" "$stage/packages/model/node_modules/"
  cp -rL node_modules/.pnpm/yauzl@*/node_modules/yauzl node_modules/.pnpm/yauzl@*/node_modules/pend \
    "$stage/packages/model/node_modules/"
  for p in tensor layers mini-code; do ln -sfn "../../../$p" "$stage/packages/model/node_modules/@gptj/$p"; done
  ln -sfn ../../../../tools/fixtures "$stage/packages/model/node_modules/@gptj/test-fixtures"
  # For a rebuild there: node-addon-api (found by CMakeLists through node) and the Node-API headers.
  cp -rL packages/tensor/node_modules/node-addon-api "$stage/packages/tensor/node_modules/"
  cp -rL node_modules/.pnpm/node-api-headers@*/node_modules/node-api-headers/include "$stage/.devcarry/node-api-include"
  tar -C "$stage" -cJf "$CARRY/payload.tar.xz" .
  rm -rf "$stage"
  [ -f "$CARRY/node.xz" ] || xz -T2 -6 -c "$(command -v node)" > "$CARRY/node.xz"
  du -h "$CARRY"/*
  local tree carry
  tree=$( { git ls-files -z; git ls-files -z --others --exclude-standard; } | xargs -0 -r stat -c %s -- 2>/dev/null |
    awk '{s += $1} END {print s}')
  carry=$(du -cb "$CARRY"/node.xz "$CARRY"/payload.tar.xz | tail -1 | cut -f1)
  echo "== to copy: $(( (tree + carry) / 1048576 )) MiB (working tree $(( tree / 1048576 )) MiB + .devcarry $(( carry / 1048576 )) MiB)"
  echo "== ready: copy this checkout, .devcarry/ included, to the GPU machine and run there: bash tools/gpu-check.sh"
}

build_there() {
  echo "== building the addons on this machine (sm_90)"
  cmake -S packages/tensor -B /tmp/gptj-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_JS_INC="$CARRY/node-api-include" -DCMAKE_LIBRARY_OUTPUT_DIRECTORY=/tmp/gptj-build/Release > /tmp/gptj-cmake.log
  cmake --build /tmp/gptj-build -j"$(nproc)" > /tmp/gptj-build.log || { tail -40 /tmp/gptj-build.log; exit 1; }
  mkdir -p packages/tensor/build/Release
  cp /tmp/gptj-build/Release/*.node packages/tensor/build/Release/
}

# Node on PATH, the payload unpacked, the addons built if they are missing.
unpack() {
  xz -dc "$CARRY/node.xz" > "$CARRY/node" && chmod +x "$CARRY/node"
  export PATH=$CARRY:$PATH
  tar -xJf "$CARRY/payload.tar.xz" -C "$ROOT"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  echo "node $(node --version)"
  if [ -n "${GPTJ_REBUILD:-}" ] || [ ! -f packages/tensor/build/Release/gptj_cuda.node ]; then build_there; fi
}

# Each argument (bench cases, see tools/gpu-bench/src/main.ts; CASES@SKIP:COUNT profiles launches
# SKIP .. SKIP+COUNT only) run under Nsight Compute, which times every kernel on its own (kernels in
# the decode CUDA graph included; clocks and caches left as they run); prints the GPU time per kernel
# name, largest first.
profile() {
  local out=${OUT:-/tmp/gptj-gpucheck} arg cases span range
  mkdir -p "$out"
  unpack
  for arg in "$@"; do
    cases=${arg%@*} span=${arg#*@} range=()
    [ "$cases" = "$arg" ] || range=(--launch-skip "${span%:*}" --launch-count "${span#*:}")
    echo "== $arg"
    ncu --clock-control none --cache-control none --metrics gpu__time_duration.sum --csv --log-file "$out/ncu-$cases.csv" "${range[@]}" \
      node tools/gpu-bench/dist/main.js --cases "$cases" > "$out/profile-$cases.log" 2>&1 || { tail -20 "$out/profile-$cases.log"; continue; }
    grep -E 'tok/s' "$out/profile-$cases.log" || true
    python3 - "$out/ncu-$cases.csv" <<'PY' || head -30 "$out/ncu-$cases.csv"
import csv, sys, collections
lines = [l for l in open(sys.argv[1]) if l.startswith('"')]
tot, cnt = collections.Counter(), collections.Counter()
for r in csv.DictReader(lines):
    if r['Metric Name'] != 'gpu__time_duration.sum': continue
    v = float(r['Metric Value'].replace(',', ''))
    v *= {'nsecond': 1e-6, 'usecond': 1e-3, 'msecond': 1.0, 'second': 1e3}.get(r['Metric Unit'], 1e-6)
    name = r['Kernel Name'][:100]
    tot[name] += v; cnt[name] += 1
all_ms = sum(tot.values())
print(f"{all_ms:.2f} ms in {sum(cnt.values())} kernels")
for name, ms in tot.most_common(25):
    print(f"{100*ms/all_ms:6.1f}%  {ms:9.3f} ms  {cnt[name]:6d} x  {name}")
PY
  done
}

check() {
  local out=${OUT:-/tmp/gptj-gpucheck} t0=$SECONDS tests_rc=0 model_rc=0
  mkdir -p "$out"
  unpack

  echo "== CUDA tests (@gptj/tensor)"
  timeout 200 node --test --test-reporter=spec packages/tensor/dist-test/cuda/ops.test.js \
    packages/tensor/dist-test/cuda/runner.test.js packages/tensor/dist-test/cuda/runner-failure.test.js \
    packages/tensor/dist-test/cuda/bindings.test.js > "$out/tests.log" 2>&1 || tests_rc=$?
  grep -E '^\s*(✖|not ok)|failing tests|Error' "$out/tests.log" | head -40 || true
  echo "== CUDA tests (@gptj/model)"
  timeout 150 node --test --test-reporter=spec packages/model/dist-test/cuda.test.js \
    packages/model/dist-test/features/embed-cuda.test.js > "$out/model-tests.log" 2>&1 || model_rc=$?
  grep -E '^\s*(✖|not ok)|failing tests|Error' "$out/model-tests.log" | head -40 || true
  local pass fail mpass mfail
  pass=$(grep -E '^ℹ pass' "$out/tests.log" | awk '{print $3}' || true)
  fail=$(grep -E '^ℹ fail' "$out/tests.log" | awk '{print $3}' || true)
  mpass=$(grep -E '^ℹ pass' "$out/model-tests.log" | awk '{print $3}' || true)
  mfail=$(grep -E '^ℹ fail' "$out/model-tests.log" | awk '{print $3}' || true)
  # The whole script stays under 8 minutes: the bench gets what the tests left of 450 s (at least 60 s).
  local left=$(( 450 - (SECONDS - t0) ))
  [ "$left" -ge 60 ] || left=60
  echo "== GPU benchmark (limit $left s)"
  timeout "$left" node tools/gpu-bench/dist/main.js > "$out/bench.log" 2>&1 || echo "bench exit $?"
  sed '/^GPT-J 6B shape/,$d' "$out/bench.log"
  echo
  echo "model vs CPU/transformers (max |diff| / max |logit|):"
  grep -o '\[cuda\] .*' "$out/model-tests.log" || echo "  (none printed)"
  echo "CUDA tests: tensor ${pass:-?} passed, ${fail:-?} failed (exit $tests_rc), log $out/tests.log;" \
    "model ${mpass:-?} passed, ${mfail:-?} failed (exit $model_rc), log $out/model-tests.log; total $((SECONDS - t0)) s"
  sed -n '/^GPT-J 6B shape/,$p' "$out/bench.log"
}

case "${1:-}" in
  --prepare) prepare ;;
  --profile) shift; profile "${@:-prefill}" ;;
  "") check ;;
  *) echo "usage: bash tools/gpu-check.sh [--prepare | --profile CASES]" >&2; exit 2 ;;
esac
