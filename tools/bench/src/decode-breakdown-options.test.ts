// decode-breakdown's options are checked before it allocates anything: `--reps 0` printed a table of NaN, and a
// dtype whose bytes it cannot count would have printed a wrong floor.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../dist/decode-breakdown.js', import.meta.url));

describe('decode-breakdown options', () => {
  it.each([
    [['--reps', '0'], '--reps must be a positive integer, got 0'],
    [['--rounds', '0'], '--rounds must be a positive integer, got 0'],
    [['--context', 'abc'], '--context must be a positive integer, got abc'],
    [['--threads', '1.5'], '--threads must be a positive integer, got 1.5'],
    [['--dtypes', 'f16,f32'], '--dtypes: f32 is not one of f16, bf16, q8, q4'],
  ])('%j is refused with a message naming it', (args, message) => {
    const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`RangeError: ${message}`);
  });
});
