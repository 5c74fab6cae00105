// Hub ids ("org/name") resolve to a local Hugging Face-layout cache,
// <cache>/models--org--name/{refs/<revision>, snapshots/<commit>/<files>}, and are downloaded into it when
// missing from <endpoint>/<id>/resolve/<revision>/<file>. Downloads go to "<file>.incomplete" and resume
// with a Range request after an interruption.
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { dropWrittenFile } from './checkpoint/drop-cache.js';
import { readRegularText } from './checkpoint/regular-file.js';
import { readShardIndex } from './checkpoint/shard-index.js';
import { HubError } from './errors.js';
import { HUB_ID } from './hub-id.js';
import { SIDE_FILES, WEIGHT_FILES } from './model-files.js';

export interface DownloadProgress {
  phase: 'download';
  done: number;
  total: number;
  file: string;
}

export interface HubOptions {
  cacheDir?: string; // default $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub
  revision?: string; // branch, tag or commit; default "main"
  endpoint?: string; // default $HF_ENDPOINT or https://huggingface.co
  onProgress?: (p: DownloadProgress) => void;
}

// refs/<revision> holds a 40-character commit hash
const MAX_REF_BYTES = 1024;

export function hubCacheDir(explicit?: string): string {
  return explicit ?? process.env.HF_HUB_CACHE ?? (process.env.HF_HOME ? join(process.env.HF_HOME, 'hub') : join(homedir(), '.cache', 'huggingface', 'hub'));
}

/** Returns the local snapshot directory of a hub model, downloading what is missing. */
export async function resolveHubModel(id: string, opts: HubOptions = {}): Promise<string> {
  if (!HUB_ID.test(id)) throw new HubError(`"${id}" is neither a directory nor a hub id of the form org/name`);
  const revision = opts.revision ?? 'main';
  const repoDir = join(hubCacheDir(opts.cacheDir), `models--${id.replace('/', '--')}`);
  const refFile = join(repoDir, 'refs', revision);
  const cached = join(
    repoDir,
    'snapshots',
    existsSync(refFile) ? readRegularText(refFile, MAX_REF_BYTES, (reason) => new HubError(`${refFile} ${reason}`)).trim() : revision,
  );
  if (isComplete(cached)) return cached;
  if (process.env.HF_HUB_OFFLINE === '1') throw new HubError(`${id}@${revision} is not in the cache ${repoDir} and HF_HUB_OFFLINE=1`);

  const hub = new HubClient(id, revision, (opts.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''));
  const config = await hub.head('config.json');
  if (!config.exists) throw new HubError(`${id}@${revision}: config.json not found at ${hub.url('config.json')} (HTTP ${config.status})`);
  const snapshot = join(repoDir, 'snapshots', config.commit ?? revision);
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(refFile, config.commit ?? revision);

  const download = (file: string): Promise<void> => hub.download(file, join(snapshot, file), opts.onProgress);
  await download('config.json');
  let weights: string[] | null = null;
  // the first weight layout, in order of preference, whose first file exists
  for (const layout of WEIGHT_FILES) {
    if (!(await hub.head(layout)).exists) continue;
    await download(layout);
    weights = layout.endsWith('.index.json') ? shardsOf(join(snapshot, layout)) : [];
    break;
  }
  if (!weights) throw new HubError(`${id}@${revision} has no model.safetensors(.index.json) or pytorch_model.bin(.index.json)`);
  for (const shard of weights) await download(shard);
  for (const file of SIDE_FILES) if ((await hub.head(file)).exists) await download(file);
  return snapshot;
}

function isComplete(dir: string): boolean {
  if (!existsSync(join(dir, 'config.json'))) return false;
  const layout = WEIGHT_FILES.find((f) => existsSync(join(dir, f)));
  if (!layout) return false;
  return !layout.endsWith('.index.json') || shardsOf(join(dir, layout)).every((s) => existsSync(join(dir, s)));
}

/** The shard file names of a cached or downloaded index (the checkpoint's own reader: a FIFO is refused, not read). */
function shardsOf(indexPath: string): string[] {
  const shards = readShardIndex(indexPath).shardPaths.map((p) => basename(p));
  // they become download URLs too: nothing that would need escaping
  const odd = shards.find((s) => !/^[\w.-]+$/.test(s));
  if (odd !== undefined) throw new HubError(`${indexPath} is not a valid shard index (shard name ${JSON.stringify(odd)} is not a plain file name)`);
  return shards;
}

class HubClient {
  constructor(
    readonly id: string,
    readonly revision: string,
    readonly endpoint: string,
  ) {}

  url(file: string): string {
    return `${this.endpoint}/${this.id}/resolve/${encodeURIComponent(this.revision)}/${file}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = process.env.HF_TOKEN;
    return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
  }

  private async request(file: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.url(file), { ...init, redirect: 'follow' });
    } catch (e) {
      throw new HubError(`${this.id}: cannot reach ${this.url(file)} (${(e as Error).message})`);
    }
  }

  async head(file: string): Promise<{ exists: boolean; status: number; commit: string | null }> {
    const res = await this.request(file, { method: 'HEAD', headers: this.headers() });
    if (res.status === 401 || res.status === 403) {
      throw new HubError(`${this.id}: access denied (HTTP ${res.status}); the model may be gated or private, set HF_TOKEN`);
    }
    return { exists: res.ok, status: res.status, commit: res.headers.get('x-repo-commit') };
  }

  /** Downloads `file` to `dest`, resuming a previous "<dest>.incomplete" with a Range request, then
   * drops it from the page cache. */
  async download(file: string, dest: string, onProgress?: (p: DownloadProgress) => void): Promise<void> {
    if (existsSync(dest)) return;
    const partial = `${dest}.incomplete`;
    const have = existsSync(partial) ? statSync(partial).size : 0;
    const res = await this.request(file, { headers: this.headers(have ? { range: `bytes=${have}-` } : {}) });
    if (res.status === 416 && have) {
      renameSync(partial, dest);
      dropWrittenFile(dest);
      return;
    } // already complete
    if (!res.ok || !res.body) throw new HubError(`${this.id}: download of ${file} failed (HTTP ${res.status})`);
    const resumed = res.status === 206;
    let done = resumed ? have : 0;
    const total = done + Number(res.headers.get('content-length') ?? NaN);
    const out = await open(partial, resumed ? 'a' : 'w');
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await out.write(chunk);
        done += chunk.length;
        onProgress?.({ phase: 'download', done, total: Number.isFinite(total) ? total : done, file });
      }
    } catch (e) {
      throw new HubError(`${this.id}: download of ${file} interrupted after ${done} bytes (${(e as Error).message}); run again to resume`);
    } finally {
      await out.close();
    }
    if (Number.isFinite(total) && done !== total) {
      throw new HubError(`${this.id}: download of ${file} ended after ${done} of ${total} bytes; run again to resume`);
    }
    renameSync(partial, dest);
    dropWrittenFile(dest); // read back on first load, in large folios (see writeSafetensors)
  }
}
