// gptj serve: the OpenAI-compatible server of @gptj/server (startServer, the same start-up as the gptj-server
// binary), with the model and runtime flags every other command takes.
import { Command, Option } from 'commander';
import { writeErr } from '../io.js';
import { modelDtype, prepareDevice, type RuntimeFlags } from '../load.js';
import { resolveModelSource } from '../model-source.js';
import { integer } from '../options.js';
import { createProgress } from '../progress.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

interface ServeFlags extends RuntimeFlags {
  host: string;
  port: number;
  name?: string;
  parallel?: number;
  maxQueue?: number;
  requestTimeout?: number;
  logFormat?: 'pretty' | 'json';
}

export function serveCommand(): Command {
  const cmd = new Command('serve').description('Serve the model over an OpenAI-compatible HTTP API (completions, chat, embeddings) with a playground at /');
  addModelOption(cmd);
  cmd
    .optionsGroup('Server options:')
    .option('--host <addr>', 'address to listen on (0.0.0.0 accepts other machines)', '127.0.0.1')
    .option('-p, --port <n>', 'TCP port (0: any free port)', integer(0, 65535), 8080)
    .option('--name <id>', 'the model id /v1/models lists and responses carry (default: the directory or hub name)')
    .option('--parallel <n>', 'sequences decoded together in one step (default 4)', integer(1, 1024))
    .option('--max-queue <n>', 'requests that may wait for a slot; one more gets 429 (default 64)', integer(0, 1_000_000))
    .option('--request-timeout <ms>', 'a generation not finished this long after it arrived ends with 503', integer(1, 2 ** 31 - 1))
    .addOption(new Option('--log-format <format>', 'log lines (default: pretty on a terminal, json otherwise)').choices(['pretty', 'json']));
  addRuntimeOptions(cmd);
  return cmd
    .addHelpText(
      'after',
      '\nSIGTERM / Ctrl-C drains: requests in flight finish (up to 30 s), then the process exits.\n\n' +
        'Examples:\n  gptj serve --port 8000\n  gptj serve --model EleutherAI/gpt-j-6b --revision float16 --dtype f16 --device cuda --host 0.0.0.0',
    )
    .action(async (flags: ServeFlags) => {
      const source = resolveModelSource(flags.model); // a missing path is reported here, never sent to the hub
      await prepareDevice(flags); // --threads, and --device cuda checked before anything loads
      const { startServer } = await import('@gptj/server');
      const progress = createProgress();
      const { address } = await startServer({
        ...(flags.model !== undefined && { modelDir: source.kind === 'dir' ? source.path : source.id }),
        revision: flags.revision,
        cacheDir: flags.cacheDir,
        device: flags.device,
        dtype: modelDtype(flags.dtype),
        mmap: flags.mmap ?? true,
        modelName: flags.name,
        host: flags.host,
        port: flags.port,
        parallel: flags.parallel,
        maxQueue: flags.maxQueue,
        requestTimeoutMs: flags.requestTimeout,
        logFormat: flags.logFormat,
        onProgress: Object.assign(
          (p: { phase: string; done: number; total: number; file?: string }) => progress.update(p.phase, p.done, p.total, p.file ?? ''),
          { end: () => progress.stop() },
        ),
      });
      writeErr(`gptj: serving on ${address} (playground at ${address}/; OpenAI base URL ${address}/v1)\n`);
    });
}
