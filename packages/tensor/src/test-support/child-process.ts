// Code paths a process picks once, at load (GPTJ_CPU_ISA, GPTJ_GEMM), are tested in a child Node process
// that imports the built package. Not part of @gptj/tensor/testing: only this package's tests use it.
import { execFileSync } from 'node:child_process';

/** `import(...)`'s argument for a built file of this package, e.g. distModule('index.js'). */
export function distModule(file: string): string {
  return JSON.stringify(new URL(`../../dist/${file}`, import.meta.url).href);
}

/** Runs the ES module `script` in a fresh Node with `env` added to this one's; returns its stdout. */
export function runInChild(script: string, env: Readonly<Record<string, string>>): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
}
