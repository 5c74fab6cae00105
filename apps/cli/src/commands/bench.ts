// gptj bench: prefill and decode speed, and how close decode comes to the memory-bandwidth floor; with
// --parallel N, N streams decoding together through a sequence pool (continuous batching) against one.
import { benchIds, greedyIds } from '@gptj/tensor/bench';
import { Command } from 'commander';
import { CliError } from '../errors.js';
import { measureReadBandwidth, parameterCount, weightBytesPerToken, type WeightDtype } from '../hardware-floor.js';
import type { GPTJModel } from '@gptj/model';
import { writeOut } from '../io.js';
import { loadModelForCli, type RuntimeFlags } from '../load.js';
import { integer } from '../options.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

interface BenchFlags extends RuntimeFlags {
  promptTokens: number;
  newTokens: number;
  runs: number;
  bandwidthMib: number;
  parallel?: number;
  json?: boolean;
}

/** Greedy streams in one sequence pool: each step appends every stream's last argmax. */
class PooledStreams {
  private readonly pool: NonNullable<ReturnType<GPTJModel['createSequencePool']>>;
  private readonly ids: number[];
  private logits: Float32Array = new Float32Array(0);

  constructor(
    private readonly model: GPTJModel,
    readonly streams: number,
    promptTokens: number,
    newTokens: number,
  ) {
    // KV blocks hold 16 tokens and are never shared between streams: up to 15 slots of each stream's last block stay empty
    const pool = model.createSequencePool({ maxSequences: streams, maxTokens: streams * (promptTokens + newTokens + 15) });
    if (!pool) throw new CliError(`--parallel needs the CPU runner's sequence pool; this model runs on ${model.device}`);
    this.pool = pool;
    this.ids = Array.from({ length: streams }, () => pool.add());
  }

  /** One step: every stream's own prompt, or every stream's next token. Resolves to its seconds. */
  async step(promptTokens?: number): Promise<number> {
    const next = promptTokens ? [] : greedyIds(this.logits, this.ids.length);
    const entries = this.ids.map((id, i) => ({
      id,
      ids: promptTokens ? benchIds(promptTokens, this.model.vocabSize, 12345 + i) : [next[i]!],
    }));
    const t0 = performance.now();
    this.logits = await this.pool.step(entries);
    return (performance.now() - t0) / 1e3;
  }

  dispose(): void {
    this.pool.dispose();
  }
}

/**
 * Decode step times of one stream and of `streams` streams (two pools, each prefilled once untimed), their steps
 * alternating so that both see the same machine: on a shared host the load changes by the second.
 */
async function parallelStepTimes(model: GPTJModel, streams: number, promptTokens: number, newTokens: number): Promise<[number[], number[]]> {
  const pools = [new PooledStreams(model, 1, promptTokens, newTokens), new PooledStreams(model, streams, promptTokens, newTokens)];
  try {
    for (const p of pools) await p.step(promptTokens);
    const times: [number[], number[]] = [[], []];
    for (let t = 0; t < newTokens; t++) for (const k of [0, 1]) times[k]!.push(await pools[k]!.step());
    return times;
  } finally {
    for (const p of pools) p.dispose();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function benchCommand(): Command {
  const cmd = new Command('bench').description('Measure prefill and decode tokens/s and the ratio to the memory-bandwidth floor');
  addModelOption(cmd);
  addRuntimeOptions(cmd);
  return cmd
    .option('--prompt-tokens <n>', 'prefill length', integer(1), 128)
    .option('--new-tokens <n>', 'decode steps (one token each)', integer(1), 32)
    .option('--runs <n>', 'repetitions; the best run is reported', integer(1, 100), 3)
    .option('--bandwidth-mib <n>', 'size of the buffer the bandwidth pass reads', integer(16, 65536), 256)
    .option('--parallel <n>', 'also decode N streams together through a sequence pool (CPU) and compare with one stream', integer(1, 256))
    .option('--json', 'print one JSON object instead of the table')
    .addHelpText(
      'after',
      '\nFloor: decode must read every weight once per token, so its best possible time per token is\n' +
        '(weight bytes read per token) / (read bandwidth). The bandwidth is measured here, in the same run, with a\n' +
        'read-only pass on the target device (CPU: a multi-stream sum on all kernel threads over a huge-page buffer;\n' +
        'CUDA: a streaming read of a device buffer). "of floor" = floor time / measured time (100% = at the floor).',
    )
    .action(async (flags: BenchFlags) => {
      const { model, loadMs } = await loadModelForCli(flags);
      try {
        const total = flags.promptTokens + flags.newTokens;
        if (total > model.maxLength) throw new CliError(`--prompt-tokens + --new-tokens = ${total} exceeds the model's context of ${model.maxLength}`);
        const ids = benchIds(flags.promptTokens, model.vocabSize);
        let prefillS = Infinity;
        let decodeS = Infinity;
        for (let run = 0; run < flags.runs; run++) {
          const session = model.createSession(1);
          try {
            let t0 = performance.now();
            let logits = await session.forward([ids]);
            prefillS = Math.min(prefillS, (performance.now() - t0) / 1e3);
            t0 = performance.now();
            for (let i = 0; i < flags.newTokens; i++) logits = await session.forward([greedyIds(logits)]);
            decodeS = Math.min(decodeS, (performance.now() - t0) / 1e3);
          } finally {
            session.dispose();
          }
        }
        let parallel:
          | { streams: number; tokens_per_stream: number; one_stream_tokens_per_second: number; aggregate_tokens_per_second: number; speedup: number }
          | undefined;
        if (flags.parallel !== undefined) {
          const times: [number[], number[]] = [[], []];
          for (let run = 0; run < flags.runs; run++) {
            const [one, many] = await parallelStepTimes(model, flags.parallel, flags.promptTokens, flags.newTokens);
            times[0].push(...one);
            times[1].push(...many);
          }
          // median step time: robust to the seconds another job takes the cores
          const one = 1 / median(times[0]),
            many = flags.parallel / median(times[1]);
          parallel = {
            streams: flags.parallel,
            tokens_per_stream: flags.newTokens,
            one_stream_tokens_per_second: round(one, 2),
            aggregate_tokens_per_second: round(many, 2),
            speedup: round(many / one, 2),
          };
        }
        const device = model.device as 'cpu' | 'cuda';
        const bandwidth = await measureReadBandwidth(device, flags.bandwidthMib * 1024 * 1024);
        const bytesPerToken = weightBytesPerToken(model.config, model.dtype as WeightDtype);
        const floorS = bytesPerToken / bandwidth.bytesPerSecond;
        const decodeMsPerToken = (decodeS / flags.newTokens) * 1e3;
        const result = {
          model: { parameters: parameterCount(model.config), device, dtype: model.dtype, load_ms: round(loadMs) },
          prefill: { tokens: flags.promptTokens, seconds: round(prefillS, 4), tokens_per_second: round(flags.promptTokens / prefillS) },
          decode: {
            tokens: flags.newTokens,
            seconds: round(decodeS, 4),
            tokens_per_second: round(flags.newTokens / decodeS),
            ms_per_token: round(decodeMsPerToken, 3),
          },
          floor: {
            weight_bytes_per_token: bytesPerToken,
            read_bandwidth_gb_s: round(bandwidth.bytesPerSecond / 1e9, 2),
            bandwidth_method: bandwidth.method,
            bandwidth_by_method_gb_s: Object.fromEntries(Object.entries(bandwidth.methods).map(([k, v]) => [k, round(v / 1e9, 2)])),
            ms_per_token: round(floorS * 1e3, 3),
            decode_fraction_of_floor: round((floorS * 1e3) / decodeMsPerToken, 3),
            decode_weight_read_gb_s: round(bytesPerToken / (decodeMsPerToken / 1e3) / 1e9, 2),
          },
          ...(parallel && { parallel }),
        };
        if (flags.json) {
          await writeOut(`${JSON.stringify(result)}\n`);
          return;
        }
        const pct = (result.floor.decode_fraction_of_floor * 100).toFixed(1);
        await writeOut(
          [
            `model     ${(result.model.parameters / 1e6).toFixed(1)}M parameters, ${device}, ${model.dtype}, loaded in ${(loadMs / 1e3).toFixed(2)} s`,
            `prefill   ${flags.promptTokens} tokens in ${prefillS.toFixed(3)} s: ${result.prefill.tokens_per_second} tok/s`,
            `decode    ${flags.newTokens} tokens in ${decodeS.toFixed(3)} s: ${result.decode.tokens_per_second} tok/s (${decodeMsPerToken.toFixed(2)} ms/token)`,
            `bandwidth ${result.floor.read_bandwidth_gb_s} GB/s read (${bandwidth.method}; ${Object.entries(result.floor.bandwidth_by_method_gb_s)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')} GB/s)`,
            `floor     ${(bytesPerToken / 1e6).toFixed(1)} MB of weights per token -> ${result.floor.ms_per_token} ms/token; decode runs at ${pct}% of the floor speed`,
            ...(parallel
              ? [
                  `parallel  ${parallel.streams} streams x ${parallel.tokens_per_stream} tokens through a sequence pool: ` +
                    `${parallel.aggregate_tokens_per_second} tok/s aggregate vs ${parallel.one_stream_tokens_per_second} tok/s for one stream ` +
                    `(median steps, alternated): ${parallel.speedup}x`,
                ]
              : []),
            '',
          ].join('\n'),
        );
      } finally {
        model.dispose();
      }
    });
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
