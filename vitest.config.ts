// One vitest configuration for the workspace: the reporters every package's `pnpm test` writes (the terminal, and
// .vitest/report.json in the package, which .ci/run sums), and the packages as projects. `vitest run` here runs every
// package; a package's `test` script (`vitest run --config ../../vitest.config.ts`) runs only its own. A package's own
// vitest.config.ts, where it has one, holds its project settings (timeouts).
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const workspaces = ['packages', 'apps', 'tools']
  .flatMap((top) => readdirSync(join(root, top)).map((dir) => join(root, top, dir)))
  .filter((dir) => existsSync(join(dir, 'package.json')));
const here = workspaces.find((dir) => !relative(dir, process.cwd()).startsWith('..'));

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/report.json' },
    projects: here ? [here] : workspaces,
  },
});
