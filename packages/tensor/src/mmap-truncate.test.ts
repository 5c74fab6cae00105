// A file truncated in place while memory-mapped (design in native/cpu/mapped_fault.h): between uses,
// views, reads and ops throw MappedFileError naming the file; a read already under way ends the process
// with one line naming the file and MAPPED_FILE_EXIT_CODE (checked in a child process, so that vitest
// survives it). Before, both cases killed the process with SIGBUS and nothing logged.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAPPED_FILE_EXIT_CODE, MappedFileError, Tensor, add, mmapFile } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'gptj-mmap-truncate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SIZE = 1 << 20; // 256 pages: a tensor over the last of them is past any truncation below

function writeFile(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(new Float32Array(SIZE / 4).fill(1.5).buffer));
  return path;
}

describe('mmapFile on a file truncated while mapped', () => {
  it('views, tensor reads and ops throw MappedFileError naming the file', () => {
    const path = writeFile('typed.bin');
    const file = mmapFile(path);
    const t = Tensor.fromBytes(file.view(SIZE - 4096, 4096), [1024], 'f32');
    expect(t.toFloat32Array()[1023]).toBe(1.5);
    truncateSync(path, 4096);
    expect(() => file.view(0, 16)).toThrow(MappedFileError);
    expect(() => file.view(0, 16)).toThrow(`'${path}', which was truncated while memory-mapped (${SIZE} bytes mapped, 4096 now)`);
    expect(() => t.toFloat32Array()).toThrow(MappedFileError);
    expect(() => add(t, t)).toThrow(/add\/mul: a lies in '.*typed\.bin', which was truncated/);
    try {
      t.toFloat32Array();
    } catch (e) {
      expect((e as MappedFileError).path).toBe(path);
      expect((e as Error).message).toMatch(/--no-mmap \/ mmap: false/);
    }
    t.dispose();
    file.close();
  });

  it('a file replaced by rename keeps the mapped contents readable', () => {
    const path = writeFile('renamed.bin');
    const file = mmapFile(path);
    const t = Tensor.fromBytes(file.view(SIZE - 4096, 4096), [1024], 'f32');
    writeFileSync(join(dir, 'new.bin'), new Uint8Array(16));
    renameSync(join(dir, 'new.bin'), path);
    expect(t.toFloat32Array()[1023]).toBe(1.5);
    expect(file.view(SIZE - 4, 4)).toEqual(new Uint8Array(new Float32Array([1.5]).buffer));
    t.dispose();
    file.close();
  });

  it('a read of a view after the truncation exits with a line naming the file, not a silent SIGBUS', () => {
    const path = writeFile('fatal.bin');
    const script = `
      import { truncateSync } from 'node:fs';
      const { mmapFile } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const view = mmapFile(process.argv[1]).view(0, ${SIZE});
      truncateSync(process.argv[1], 4096);
      console.log(view[${SIZE - 1}]);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, path], { encoding: 'utf8' });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(MAPPED_FILE_EXIT_CODE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `gptj: ${path} was truncated while memory-mapped (a read at byte ${SIZE - 1} of the ${SIZE} mapped faulted); ` +
        `the process cannot continue and exits with code ${MAPPED_FILE_EXIT_CODE}. Do not modify a checkpoint in place while it is loaded ` +
        '(replace it by rename), or load with --no-mmap / mmap: false to read it into memory.\n',
    );
  });

  it('a kernel reading the file on a worker thread when it shrinks: the same line and exit code', () => {
    // linearAsync checks its storages when called, then libuv workers stream the 64 MiB weight while the
    // main thread truncates the file: a worker faults, as a runner step of a server would. The view's pages are
    // mapped when it is taken (mmap_flags.h populate_pages), so one read takes milliseconds and may end before
    // the truncation: 64 queued reads keep the workers reading past it.
    const path = join(dir, 'worker.bin');
    writeFileSync(path, new Uint8Array(64 << 20));
    const script = `
      import { truncateSync } from 'node:fs';
      const t = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const w = t.Tensor.fromBytes(t.mmapFile(process.argv[1]).view(0, ${64 << 20}), [4096, 4096], 'f32');
      const x = t.Tensor.zeros([1, 4096]);
      const done = Promise.all(Array.from({ length: 64 }, () => t.linearAsync(x, w)));
      truncateSync(process.argv[1], 0);
      await done;
      console.log('read past the end without a fault');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, path], { encoding: 'utf8' });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(MAPPED_FILE_EXIT_CODE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^gptj: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was truncated while memory-mapped \\(a read at byte \\d+ of the ${64 << 20} mapped faulted\\)`,
      ),
    );
  });

  it('a SIGBUS outside our mappings still takes the default action', () => {
    const script = `
      await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)}).then((t) => t.mmapFile(process.argv[1]).close());
      process.kill(process.pid, 'SIGBUS');
      setTimeout(() => {}, 1000);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, writeFile('other.bin')], { encoding: 'utf8' });
    expect(r.signal).toBe('SIGBUS');
    expect(r.stderr).not.toMatch(/gptj:/);
  });
});
