// `gptj download` against a local HTTP server that serves a fixture directory the way the hub does
// (<endpoint>/<org>/<name>/resolve/<revision>/<file>); the real hub is not reachable from tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockHub, type MockHub } from './test-support/mock-hub.js';
import { mainJs, type CliRun } from './test-support/run-cli.js';

const fixture = fixturePath('gptj-small-f32');
const tmp = mkdtempSync(join(tmpdir(), 'gptj-cli-download-'));
let hub: MockHub;

beforeAll(async () => {
  hub = await startMockHub({ repo: 'test-org/small', dir: fixture });
});
afterAll(() => {
  hub.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** runCli with extra environment variables. */
function run(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [mainJs, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('gptj download', () => {
  it('downloads into the cache layout, prints the snapshot, and later runs use it offline', async () => {
    const got = await run(['download', 'test-org/small', '--cache-dir', tmp], { HF_ENDPOINT: hub.endpoint });
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    const snapshot = join(tmp, 'models--test-org--small', 'snapshots', 'abc123');
    expect(got.stdout).toBe(`${snapshot}\n`);
    expect(readFileSync(join(snapshot, 'model.safetensors')).equals(readFileSync(join(fixture, 'model.safetensors')))).toBe(true);

    hub.server.closeAllConnections();
    const before = hub.requested.length;
    const offline = await run(['logits', '--model', 'test-org/small', '--cache-dir', tmp, '--ids', '1,2,3', '--out', join(tmp, 'l.f32')], {
      HF_ENDPOINT: 'http://127.0.0.1:9', // nothing listens there: a network access would fail
    });
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toEqual({ shape: [1, 3, 512] });
    expect(hub.requested.length).toBe(before);
  });

  it('fails with one line when the hub has no such model', async () => {
    const got = await run(['download', 'test-org/missing', '--cache-dir', tmp], { HF_ENDPOINT: hub.endpoint });
    expect(got.code).toBe(1);
    expect(got.stderr.trim().split('\n')).toHaveLength(1);
    expect(got.stderr).toMatch(/HubError: test-org\/missing@main: config\.json not found/);
  });

  it('rejects a local directory', async () => {
    const got = await run(['download', tmp], {});
    expect(got.code).toBe(2);
    expect(got.stderr).toMatch(/is a local directory, not a hub id/);
  });
});
