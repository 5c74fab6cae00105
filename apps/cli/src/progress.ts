// Progress bars on stderr, drawn only when stderr is a terminal: piped or captured output stays clean.
import cliProgress from 'cli-progress';
import { onInterrupt } from './interrupts.js';

export interface Progress {
  /** Shows `done` of `total` for a phase ('download', 'load', 'eval'...); a new phase starts a new bar. */
  update(phase: string, done: number, total: number, detail?: string): void;
  /** Removes the bar (idempotent). */
  stop(): void;
}

// Phases whose counts are bytes (@gptj/model reports load progress in bytes of tensor data too); `convert` counts
// tensor elements, whatever their size in bytes.
const BYTE_PHASES = new Set(['download', 'load']);
const ELEMENT_PHASES = new Set(['convert']);

/** n in the largest unit it reaches (base 1024: bytes, 1000: counts), one decimal beyond the first unit. */
function scaled(n: number, base: number, units: readonly string[]): string {
  let i = 0;
  while (n >= base && i < units.length - 1) {
    n /= base;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)}${units[i]}`;
}

const formatBytes = (n: number) => scaled(n, 1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB']);
const formatCount = (n: number) => scaled(n, 1000, ['', 'k', 'M', 'G', 'T']);

function formatAmount(phase: string, done: number, total: number): string {
  if (BYTE_PHASES.has(phase)) return `${formatBytes(done)}/${formatBytes(total)}`;
  if (ELEMENT_PHASES.has(phase)) return `${formatCount(done)}/${formatCount(total)} elements`;
  return `${done}/${total}`;
}

/** A progress bar on a TTY stderr, or one that draws nothing anywhere else. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update() {}, stop() {} };
  let bar: cliProgress.SingleBar | null = null;
  let phase = '';
  let unregister = () => {};
  // the bar hides the cursor: stopping it (also on Ctrl-C / SIGTERM) shows it again
  const stop = () => {
    bar?.stop();
    bar = null;
    unregister();
  };
  return {
    update(next, done, total, detail = '') {
      const payload = {
        phase: next.padEnd(8),
        amount: formatAmount(next, done, total),
        detail,
      };
      if (bar === null || next !== phase) {
        stop();
        phase = next;
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: '{phase} {bar} {percentage}% | {amount} | {detail}',
            barsize: 30,
            hideCursor: true,
            clearOnComplete: true,
            stopOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(total, 1), done, payload);
        unregister = onInterrupt(stop);
      } else {
        bar.setTotal(Math.max(total, 1));
        bar.update(done, payload);
      }
    },
    stop,
  };
}
