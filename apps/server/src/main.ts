#!/usr/bin/env node
// gptj-server: serve a GPT-J model over an OpenAI-compatible HTTP API, with a playground page at /.
import { parseArgs } from 'node:util';
import { createServer } from './server.js';
import { leaveGptjWarningsToTheLog } from './warnings.js';

const USAGE = `usage: gptj-server [--model DIR|HUB_ID] [--port 8080] [--host 127.0.0.1] [--device auto|cpu|cuda] [--dtype auto|f32|f16|bf16|int8] [--no-mmap] [--name ID]`;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;
const DTYPES = ['auto', 'f32', 'f16', 'bf16', 'int8', 'q8'] as const;

function fail(message: string): never {
  process.stderr.write(`gptj-server: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) fail(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: 'string', short: 'm' },
        port: { type: 'string', short: 'p', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        device: { type: 'string' },
        dtype: { type: 'string' },
        name: { type: 'string' },
        'no-mmap': { type: 'boolean' },
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
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer in 0..65535, got "${values.port}"`);
  const device = oneOf('device', values.device, DEVICES);
  const dtypeFlag = oneOf('dtype', values.dtype, DTYPES);
  // int8 is the CLI's word for the model package's q8 (weight-only int8 with per-row scales).
  const dtype = dtypeFlag === 'int8' ? 'q8' : dtypeFlag;

  leaveGptjWarningsToTheLog();
  const app = await createServer({
    modelDir: values.model, device, dtype, mmap: !values['no-mmap'], modelName: values.name, logger: { level: 'info' },
  });
  const address = await app.listen({ port, host: values.host });
  process.stderr.write(`gptj-server: listening on ${address} (playground at ${address}/)\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`gptj-server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
