// I/O errors (EIO from a failing disk or network filesystem) while a model file is examined or read are the
// package's typed errors naming the file, and the descriptor is closed; before, fstat's and read's raw fs errors
// escaped (and a failed fstat leaked the descriptor). No real file fails on demand, so node:fs's fstatSync and
// readSync are wrapped to throw the error Node throws for EIO when a test arms them.
import * as fs from 'node:fs';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { openCheckpoint } from './open.js';
import { CheckpointFormatError, ConfigError } from '../errors.js';
import { loadModel } from '../load.js';

const fault = vi.hoisted(() => ({ call: '' as '' | 'fstat' | 'read', after: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  /** `fn`, except that once armed for `call`, it lets `fault.after` calls through and then throws EIO. */
  const failing =
    <A extends unknown[], R>(call: 'fstat' | 'read', fn: (...args: A) => R) =>
    (...args: A): R => {
      if (fault.call === call && fault.after-- <= 0) {
        fault.call = '';
        throw Object.assign(new Error(`EIO: i/o error, ${call}`), { code: 'EIO', errno: -5, syscall: call });
      }
      return fn(...args);
    };
  return { ...real, fstatSync: failing('fstat', real.fstatSync), readSync: failing('read', real.readSync), closeSync: vi.fn(real.closeSync) };
});

const root = mkdtempSync(join(tmpdir(), 'gptj-io-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  fault.call = '';
  vi.mocked(fs.closeSync).mockClear();
});
const small = fixturePath('gptj-small-f32');
let n = 0;
function modelDir(): string {
  const d = join(root, `m${n++}`);
  mkdirSync(d);
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(small, f), join(d, f));
  return d;
}
/** Open descriptors of this process. */
const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe('I/O errors reading model files', () => {
  it.each([
    ['read', 'cannot be read (EIO)'],
    ['fstat', 'cannot be read (fstat: EIO)'],
  ] as const)('config.json failing %s is a ConfigError naming it, and its descriptor is closed', async (call, reason) => {
    const d = modelDir();
    const before = openFds();
    Object.assign(fault, { call, after: 0 });
    const e = await loadModel(d).catch((err: Error) => err);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toBe(`${join(d, 'config.json')} ${reason}`);
    expect(vi.mocked(fs.closeSync)).toHaveBeenCalled();
    expect(openFds()).toBe(before);
  });

  it.each([0, 1])('a checkpoint read failing (after %i good reads) is a CheckpointFormatError naming the file', async (after) => {
    const d = modelDir();
    Object.assign(fault, { call: 'read', after });
    const e = await openCheckpoint(d).catch((err: Error) => err);
    expect(e).toBeInstanceOf(CheckpointFormatError);
    expect((e as Error).message).toBe(`${join(d, 'model.safetensors')}: cannot be read (EIO)`);
  });

  it('a weight read failing while the model loads (no mmap) is a CheckpointFormatError naming the file', async () => {
    const d = modelDir();
    Object.assign(fault, { call: 'read', after: 5 }); // config.json, the safetensors header, then weights
    const e = await loadModel(d, { mmap: false }).catch((err: Error) => err);
    expect(e).toBeInstanceOf(CheckpointFormatError);
    expect((e as Error).message).toBe(`${join(d, 'model.safetensors')}: cannot be read (EIO)`);
  });
});
