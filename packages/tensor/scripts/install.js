// The "install" hook of @gptj/tensor. Installed from a registry: if an addon loads (the prebuilt
// platform package, or an earlier source build) it says which and stops; otherwise it builds from
// source. In a source checkout (src/ is not published) it does nothing: the workspace builds the
// addon through turbo, and building here too would build it twice.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

if (existsSync(join(root, 'src'))) {
  console.log('@gptj/tensor: source checkout, the workspace build (pnpm build) builds the addon');
  process.exit(0);
}
const { CPU_ADDON, findAddon } = await import('../dist/addon-loader.js');
const found = findAddon(CPU_ADDON);
if (found.found) {
  console.log(`@gptj/tensor: using the native addon ${found.path}`);
  process.exit(0);
}
console.log(`@gptj/tensor: no prebuilt addon loads on this platform (tried ${found.tried.map((t) => `${t.path}: ${t.error}`).join('; ')})`);
const { buildAddon } = await import('./build-addon.js');
process.exit(buildAddon());
