// What the prebuilt addons need of the system (the highest GLIBC_ / GLIBCXX_ symbol versions they link against)
// and what the docs say they need, so that the two can be compared.
import { execFileSync } from 'node:child_process';

/** The highest `prefix`X.Y[.Z] version in `text` (objdump -T output), or null when none. */
export function highestVersion(text: string, prefix: 'GLIBC_' | 'GLIBCXX_'): string | null {
  const versions = [...text.matchAll(new RegExp(`\\b${prefix}(\\d+(?:\\.\\d+)+)\\b`, 'g'))].map((m) => m[1]!);
  return versions.sort(compareVersions).at(-1) ?? null;
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The dynamic symbol table of a shared object, as `objdump -T` prints it. */
export function dynamicSymbols(path: string): string {
  return execFileSync('objdump', ['-T', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

export interface StatedFloor {
  /** the version as written: "2.34" for "glibc 2.34+", "3.4.29" for "GLIBCXX_3.4.29" */
  version: string;
  kind: 'glibc' | 'glibcxx';
  /** which addon the sentence is about: the nearest of CPU / CUDA / GPU written before it (CPU when none) */
  addon: 'cpu' | 'cuda';
  /** 1-based line of the statement */
  line: number;
}

/** Every "glibc X.Y+" and "GLIBCXX_X.Y.Z" a doc states, with the addon it is about. */
export function statedFloors(text: string): StatedFloor[] {
  const out: StatedFloor[] = [];
  for (const m of text.matchAll(/glibc (\d+\.\d+)\+|GLIBCXX_(\d+(?:\.\d+)+)/g)) {
    const before = text.slice(Math.max(0, m.index - 160), m.index);
    const last = [...before.matchAll(/cpu|cuda|gpu/gi)].at(-1)?.[0].toLowerCase();
    out.push({
      version: (m[1] ?? m[2])!,
      kind: m[1] !== undefined ? 'glibc' : 'glibcxx',
      addon: last === 'cuda' || last === 'gpu' ? 'cuda' : 'cpu',
      line: text.slice(0, m.index).split('\n').length,
    });
  }
  return out;
}
