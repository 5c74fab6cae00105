// A PATH entry that shadows every build tool with a script that records its name and fails: an
// install that finds a prebuilt must never call one, and the test reads the record to prove it.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const TOOLS = ['cmake', 'make', 'ninja', 'cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'nvcc'];

export interface CompilerShims {
  /** `path` with the shims first */
  onPath(path: string): string;
  /** names of the tools that were called, in order */
  calls(): string[];
}

export function compilerShims(dir: string): CompilerShims {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'calls.log');
  for (const tool of TOOLS) {
    const file = join(dir, tool);
    writeFileSync(file, `#!/bin/sh\necho ${tool} >> '${log}'\nexit 127\n`);
    chmodSync(file, 0o755);
  }
  return {
    onPath: (path) => `${dir}${delimiter}${path}`,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}
