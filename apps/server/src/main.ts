#!/usr/bin/env node
// gptj-server: serve a GPT-J model over an OpenAI-compatible HTTP API, with a playground page at /.
import { parseArgs } from 'node:util';
import { resolveModelSource } from '@gptj/model/hub-id';
import { startServer } from './start.js';

const USAGE =
  'usage: gptj-server [--model DIR|HUB_ID] [--revision REV] [--cache-dir DIR] [--port 8080] [--host 127.0.0.1]\n' +
  '                   [--device auto|cpu|cuda] [--dtype auto|f32|f16|bf16|int8|q4] [--threads N] [--no-mmap] [--name ID]\n' +
  '                   [--parallel 4] [--max-queue 64] [--request-timeout MS] [--log-format pretty|json]';
const DEVICES = ['auto', 'cpu', 'cuda'] as const;
const DTYPES = ['auto', 'f32', 'f16', 'bf16', 'int8', 'q8', 'q4'] as const;
const LOG_FORMATS = ['pretty', 'json'] as const;

function fail(message: string): never {
  process.stderr.write(`gptj-server: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) fail(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function integer(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) fail(`--${flag} must be an integer in ${min}..${max}, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: 'string', short: 'm' },
        revision: { type: 'string' },
        'cache-dir': { type: 'string' },
        port: { type: 'string', short: 'p', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        device: { type: 'string' },
        dtype: { type: 'string' },
        threads: { type: 'string' },
        name: { type: 'string' },
        'no-mmap': { type: 'boolean' },
        parallel: { type: 'string' },
        'max-queue': { type: 'string' },
        'request-timeout': { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dtypeFlag = oneOf('dtype', values.dtype, DTYPES);
  // the CLI's rule and wording: a path that does not exist is "--model ./nope: the directory does not exist"
  const source = values.model === undefined ? undefined : resolveModelSource(values.model);
  const { address } = await startServer({
    modelDir: source && (source.kind === 'dir' ? source.path : source.id),
    revision: values.revision,
    cacheDir: values['cache-dir'],
    host: values.host,
    port: integer('port', values.port, 0, 65535),
    device: oneOf('device', values.device, DEVICES),
    // int8 is the CLI's word for the model package's q8 (weight-only int8 with per-row scales)
    dtype: dtypeFlag === 'int8' ? 'q8' : dtypeFlag,
    threads: integer('threads', values.threads, 1, 1024),
    mmap: !values['no-mmap'],
    modelName: values.name,
    parallel: integer('parallel', values.parallel, 1, 1024),
    maxQueue: integer('max-queue', values['max-queue'], 0, 1_000_000),
    requestTimeoutMs: integer('request-timeout', values['request-timeout'], 1, 2 ** 31 - 1),
    logFormat: oneOf('log-format', values['log-format'], LOG_FORMATS),
  });
  process.stderr.write(`gptj-server: listening on ${address} (playground at ${address}/)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`gptj-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
