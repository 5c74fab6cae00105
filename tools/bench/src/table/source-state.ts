// Which source a bench run measured. Several engineers share one working tree and one built @gptj/tensor addon,
// which may hold kernel edits not yet committed; so the table names the commit, the native files that differ
// from it, and when the CPU addon was built.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SourceState {
  /** HEAD of the repository this package sits in, or why it is unknown (no git, not a checkout). */
  commit: string;
  /** Files under packages/tensor/native changed from HEAD or untracked: kernels the commit does not hold. */
  native_changes: string[];
  /** Modification time of packages/tensor/build/Release/gptj_cpu.node (ISO), or why it is unknown. */
  cpu_addon_built: string;
}

const NATIVE = 'packages/tensor/native';

export function sourceState(): SourceState {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let root: string;
  try {
    root = git('rev-parse', '--show-toplevel');
  } catch {
    return { commit: 'unknown (not a git checkout)', native_changes: [], cpu_addon_built: 'unknown' };
  }
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  // against HEAD, not the index: engineers here commit through private indexes, so the shared one lags
  const changed = [
    ...lines(git('diff', 'HEAD', '--name-only', '--', join(root, NATIVE))),
    ...lines(git('ls-files', '--others', '--exclude-standard', '--full-name', '--', join(root, NATIVE))),
  ];
  let built: string;
  try {
    built = statSync(join(root, 'packages/tensor/build/Release/gptj_cpu.node')).mtime.toISOString();
  } catch {
    built = 'unknown (no workspace build of the CPU addon)';
  }
  return { commit: git('rev-parse', '--short=12', 'HEAD'), native_changes: changed, cpu_addon_built: built };
}

/** "source: commit 1a2b3c4d5e6f, CPU addon built <time>; uncommitted in packages/tensor/native: a.cpp, b.inc". */
export function formatSource(s: SourceState): string {
  const changes =
    s.native_changes.length === 0
      ? `none uncommitted in ${NATIVE}`
      : `uncommitted in ${NATIVE}: ${s.native_changes.map((f) => f.slice(NATIVE.length + 1)).join(', ')}`;
  return `source: commit ${s.commit}, CPU addon built ${s.cpu_addon_built}; ${changes}`;
}
