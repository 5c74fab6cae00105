// The glibc / libstdc++ versions the docs promise for the prebuilt addons are the ones the built binaries need:
// a new symbol version (pthread_once pulled in GLIBC_2.34 while the READMEs said 2.33+) fails here, not on a
// user's older system.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dynamicSymbols, highestVersion, statedFloors } from './glibc-floor.js';
import { workspaceRoot } from './workspace.js';

const hasObjdump = spawnSync('objdump', ['--version']).status === 0;
const release = join(workspaceRoot, 'packages', 'tensor', 'build', 'Release');
const binaries = { cpu: join(release, 'gptj_cpu.node'), cuda: join(release, 'gptj_cuda.node') } as const;

/** The root README, every package's README and the CPU platform package's description. */
function docs(): { file: string; text: string }[] {
  const readmes = [
    'README.md',
    ...['packages', 'apps', 'tools'].flatMap((dir) =>
      readdirSync(join(workspaceRoot, dir))
        .map((p) => join(dir, p, 'README.md'))
        .filter((f) => existsSync(join(workspaceRoot, f))),
    ),
  ];
  const platform = 'packages/tensor-linux-x64-gnu/package.json';
  const description = (JSON.parse(readFileSync(join(workspaceRoot, platform), 'utf8')) as { description: string }).description;
  return [...readmes.map((file) => ({ file, text: readFileSync(join(workspaceRoot, file), 'utf8') })), { file: platform, text: `CPU addon: ${description}` }];
}

describe.skipIf(!hasObjdump)('the glibc the docs state is the glibc the built addons need', () => {
  it.each(['cpu', 'cuda'] as const)('%s addon', (addon) => {
    if (!existsSync(binaries[addon])) {
      expect(addon, `${binaries[addon]} is not built`).toBe('cuda'); // the CPU addon is always built; CUDA only with nvcc
      return;
    }
    const symbols = dynamicSymbols(binaries[addon]);
    const need = { glibc: highestVersion(symbols, 'GLIBC_'), glibcxx: highestVersion(symbols, 'GLIBCXX_') };
    const stated = docs().flatMap(({ file, text }) =>
      statedFloors(text)
        .filter((s) => s.addon === addon)
        .map((s) => ({ ...s, file })),
    );
    if (addon === 'cpu') expect(stated.length).toBeGreaterThan(5); // the root README, the platform package's, every package's Platforms section
    const wrong = stated.filter((s) => s.version !== need[s.kind]).map((s) => `${s.file}:${s.line} states ${s.kind} ${s.version}`);
    expect(wrong, `${binaries[addon]} needs GLIBC_${need.glibc} and GLIBCXX_${need.glibcxx}`).toEqual([]);
  });
});

if (!hasObjdump) it.skip('glibc floors: skipped, objdump (binutils) is not installed', () => {});
