// Graceful shutdown for a server process: on SIGTERM or SIGINT stop accepting, let the requests in flight finish up
// to a deadline (then abort them: streams end with an error event), free the model and exit 0. What Kubernetes
// expects of a pod (SIGTERM, then SIGKILL after terminationGracePeriodSeconds: keep the deadline below it).
import type { FastifyInstance } from 'fastify';

export interface GracefulShutdownOptions {
  /** How long requests in flight may still run after the signal (default: createServer's drainTimeoutMs). */
  deadlineMs?: number;
  signals?: readonly NodeJS.Signals[];
  /** Called once the app is closed (default: process.exit). */
  exit?: (code: number) => void;
}

/** A second signal, or a close that outlives the deadline by this much, exits at once (code 1). */
const FORCE_AFTER_MS = 5_000;

/** Installs the handlers; returns a function that removes them. */
export function installGracefulShutdown(app: FastifyInstance, opts: GracefulShutdownOptions = {}): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = opts.deadlineMs ?? app.gptj.drainTimeoutMs;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn(`${signal} again: exiting without waiting for requests in flight`);
      exit(1);
      return;
    }
    closing = true;
    const { active, queued } = app.gptj.stats;
    app.log.info(`${signal}: draining (${active} generating, ${queued} queued; deadline ${deadlineMs} ms)`);
    app.gptj.beginDrain(deadlineMs);
    // A request the deadline's abort could not end (a handler stuck outside the model) must not keep the pod alive.
    setTimeout(() => {
      app.log.error(`shutdown: still not closed ${FORCE_AFTER_MS} ms after the deadline; exiting`);
      exit(1);
    }, deadlineMs + FORCE_AFTER_MS).unref();
    app.close().then(
      () => exit(0),
      (err: unknown) => {
        app.log.error(err, 'shutdown: close failed');
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
