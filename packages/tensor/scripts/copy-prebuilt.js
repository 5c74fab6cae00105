// Copies one built addon (packages/tensor/build/Release/<file>) into a platform package before it is
// packed (its "prepack"), so binaries are published without ever being committed.
// Usage: node copy-prebuilt.js gptj_cpu.node <package dir>
import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [file, dest] = process.argv.slice(2);
if (!/^gptj_(cpu|cuda)\.node$/.test(file ?? '') || !dest) {
  console.error('usage: node copy-prebuilt.js gptj_cpu.node|gptj_cuda.node <package dir>');
  process.exit(2);
}
const src = fileURLToPath(new URL(`../build/Release/${file}`, import.meta.url));
if (!existsSync(src)) {
  console.error(
    `copy-prebuilt: ${src} is not built. Build it first: pnpm --filter @gptj/tensor build` +
      (file === 'gptj_cuda.node' ? ' (with nvcc on PATH, or in /usr/local/cuda/bin, and GPTJ_NO_CUDA unset)' : ''),
  );
  process.exit(1);
}
copyFileSync(src, join(resolve(dest), file));
console.log(`copy-prebuilt: ${src} -> ${join(resolve(dest), file)}`);
