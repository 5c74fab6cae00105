// Special files and bad shard names in a model directory (issue 15): FIFOs, devices and directories are refused
// before anything blocks on them, shard names must be plain file names, and every error names the file.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from './open.js';
import { writePytorchBin } from './pytorch-writer.js';
import { CheckpointFormatError, ConfigError, HubError } from '../errors.js';
import { resolveHubModel } from '../hub.js';
import { loadModel } from '../load.js';

const root = mkdtempSync(join(tmpdir(), 'gptj-special-'));
const unblockers: ChildProcess[] = [];
afterAll(() => {
  for (const p of unblockers) p.kill();
  rmSync(root, { recursive: true, force: true });
});
const small = fixturePath('gptj-small-f32');
/** A regular file whose stat size (4096) is more than it holds, on any Linux with sysfs. */
const SHORT_FILE = '/sys/kernel/uevent_seqnum';
let n = 0;
function modelDir(files: string[] = ['config.json', 'model.safetensors']): string {
  const d = join(root, `m${n++}`);
  mkdirSync(d);
  for (const f of files) copyFileSync(join(small, f), join(d, f));
  return d;
}
/** A real FIFO. Should a reader ever block on it, a writer opens it after 3 s so the test fails instead of hanging. */
function fifo(path: string): string {
  execFileSync('mkfifo', [path]);
  unblockers.push(spawn('timeout', ['10', 'sh', '-c', 'sleep 3; exec 3>"$0"', path], { stdio: 'ignore' }));
  return path;
}
/** Awaits `run` and returns what it threw, failing the test when that took more than a second. */
async function refusal(run: () => Promise<unknown>): Promise<Error> {
  const start = performance.now();
  const error = await run().then(
    () => new Error('accepted'),
    (e: Error) => e,
  );
  expect(performance.now() - start).toBeLessThan(1000);
  return error;
}
function index(dir: string, name: string, weightMap: Record<string, string>): void {
  writeFileSync(join(dir, name), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}

describe('special files in a model directory', () => {
  it('a FIFO as config.json is a ConfigError naming it, without blocking', async () => {
    const d = modelDir(['model.safetensors']);
    fifo(join(d, 'config.json'));
    const e = await refusal(() => loadModel(d));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(`${join(d, 'config.json')} is a FIFO (named pipe), not a regular file`);
  });

  it.each(['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'])(
    'a FIFO as %s is a CheckpointFormatError naming its path, without blocking',
    async (name) => {
      const d = modelDir([]);
      const path = fifo(join(d, name));
      const e = await refusal(() => openCheckpoint(d));
      expect(e).toBeInstanceOf(CheckpointFormatError);
      expect(e.message).toBe(`${path}: is a FIFO (named pipe), not a regular file`);
    },
  );

  it('a FIFO, a device or a directory as a shard is refused naming its full path', async () => {
    const d = modelDir([]);
    fifo(join(d, 'pipe.safetensors'));
    symlinkSync('/dev/zero', join(d, 'zero.safetensors'));
    mkdirSync(join(d, 'dir.safetensors'));
    for (const [shard, kind] of [
      ['pipe.safetensors', 'a FIFO \\(named pipe\\)'],
      ['zero.safetensors', 'a character device'],
      ['dir.safetensors', 'a directory'],
    ] as const) {
      index(d, 'model.safetensors.index.json', { x: shard });
      const e = await refusal(() => openCheckpoint(d));
      expect(e).toBeInstanceOf(CheckpointFormatError);
      expect(e.message).toMatch(new RegExp(`^${join(d, shard)}: is ${kind}, not a regular file$`));
    }
  });

  it('a config.json that is not UTF-8 is a ConfigError (it was decoded leniently, a stray byte becoming U+FFFD)', async () => {
    const d = modelDir(['model.safetensors']);
    writeFileSync(join(d, 'config.json'), Buffer.concat([Buffer.from('{"model_type": "gptj", "name": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
    const e = await refusal(() => loadModel(d));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe(`${join(d, 'config.json')} is not valid UTF-8`);
  });

  // sysfs files report 4096 bytes and hold fewer: a file that ends before its size, as one truncated while read.
  it.skipIf(!existsSync(SHORT_FILE))('a file that ends before its reported size is refused, not parsed in part', async () => {
    const d = modelDir(['model.safetensors']);
    symlinkSync(SHORT_FILE, join(d, 'config.json'));
    const e = await refusal(() => loadModel(d));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(new RegExp(`^${join(d, 'config.json')} shrank while being read \\(\\d+ of 4096 bytes\\)$`));
  });

  it('a missing shard is an error naming its full path', async () => {
    const d = modelDir([]);
    index(d, 'model.safetensors.index.json', { x: 'model-00001-of-00002.safetensors' });
    const e = await refusal(() => openCheckpoint(d));
    expect(e).toBeInstanceOf(CheckpointFormatError);
    expect(e.message).toBe(`${join(d, 'model-00001-of-00002.safetensors')}: does not exist`);
  });
});

describe('shard names', () => {
  const bad = ['.', '..', '', 'sub/model.safetensors', '../model.safetensors', '/etc/passwd', 'a\\b', 'model\0.safetensors'];
  for (const indexName of ['model.safetensors.index.json', 'pytorch_model.bin.index.json']) {
    it.each(bad)(`${indexName}: shard name %j is a CheckpointFormatError naming the index and the name`, async (shard) => {
      const d = modelDir([]);
      index(d, indexName, { 'transformer.wte.weight': shard });
      const e = await refusal(() => openCheckpoint(d));
      expect(e).toBeInstanceOf(CheckpointFormatError);
      expect(e.message).toBe(
        `${indexName}: shard name ${JSON.stringify(shard)} of tensor "transformer.wte.weight" is not a file name ` +
          'in the same directory (no separator or NUL, not empty, "." or "..")',
      );
    });
  }

  it('a shard name nested 20,000 deep is described, not serialised (that overflowed the stack; found by the fuzz target)', async () => {
    const d = modelDir([]);
    writeFileSync(join(d, 'model.safetensors.index.json'), `{"weight_map": {"x": ${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
    const e = await refusal(() => openCheckpoint(d));
    expect(e).toBeInstanceOf(CheckpointFormatError);
    expect(e.message).toMatch(/^model\.safetensors\.index\.json: shard name a list of 1 items of tensor "x" is not a file name/);
  });

  it('a pytorch index reads its shards, and must agree with them as the safetensors index must', async () => {
    const d = modelDir([]);
    const f32 = new Uint8Array(new Float32Array([1, 2]).buffer);
    writePytorchBin(join(d, 'pytorch_model-00001-of-00001.bin'), [{ name: 'a', dtype: 'F32', shape: [2], data: f32 }]);
    index(d, 'pytorch_model.bin.index.json', { a: 'pytorch_model-00001-of-00001.bin' });
    const ckpt = await openCheckpoint(d);
    expect([...ckpt.tensors.keys()]).toEqual(['a']);
    ckpt.close();
    index(d, 'pytorch_model.bin.index.json', { a: 'pytorch_model-00001-of-00001.bin', ghost: 'pytorch_model-00001-of-00001.bin' });
    await expect(openCheckpoint(d)).rejects.toThrow(/pytorch_model\.bin\.index\.json \(tensor "ghost"\): lists tensor in .* but that shard does not hold it/);
  });
});

describe('special files in the hub cache (resolveHubModel reads them before any download)', () => {
  /** A cached snapshot `snapshots/main` of org/x with config.json; the endpoint is unreachable, so nothing downloads. */
  function cache(): { dir: string; snapshot: string; resolve: () => Promise<string> } {
    const dir = join(root, `hub${n++}`);
    const snapshot = join(dir, 'models--org--x', 'snapshots', 'main');
    mkdirSync(snapshot, { recursive: true });
    copyFileSync(join(small, 'config.json'), join(snapshot, 'config.json'));
    return { dir, snapshot, resolve: () => resolveHubModel('org/x', { cacheDir: dir, endpoint: 'http://127.0.0.1:1' }) };
  }

  it('a FIFO as the cached shard index is a CheckpointFormatError naming it, without blocking', async () => {
    const c = cache();
    const path = fifo(join(c.snapshot, 'model.safetensors.index.json'));
    const e = await refusal(c.resolve);
    expect(e).toBeInstanceOf(CheckpointFormatError);
    expect(e.message).toBe(`${path}: is a FIFO (named pipe), not a regular file`);
  });

  it('a FIFO as refs/main is a HubError naming it, without blocking', async () => {
    const c = cache();
    mkdirSync(join(c.dir, 'models--org--x', 'refs'));
    const path = fifo(join(c.dir, 'models--org--x', 'refs', 'main'));
    const e = await refusal(c.resolve);
    expect(e).toBeInstanceOf(HubError);
    expect(e.message).toBe(`${path} is a FIFO (named pipe), not a regular file`);
  });
});
