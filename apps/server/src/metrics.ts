// GET /metrics in Prometheus' text format (prom-client): requests by endpoint and status, the scheduler's queue and
// slots, tokens in and out, and latency histograms. One registry per app, so several apps in one process (tests)
// keep their own counts.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges read at scrape time. */
export interface SlotStats {
  /** Sequences running in slots. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
}

/** Latency buckets in seconds: 1 ms .. 30 s (a token on a loaded CPU can take a second; a queued first token far more). */
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** nginx's code for a client that closed the connection before the response was complete. */
const CLIENT_CLOSED = '499';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'endpoint' | 'status'>;
  private readonly promptTokens: Counter;
  private readonly generatedTokens: Counter;
  private readonly ttft: Histogram;
  private readonly interToken: Histogram;
  private readonly queueWait: Histogram;
  private readonly stepSeconds: Histogram;
  private readonly stepSequences: Histogram;

  constructor(stats: () => SlotStats, slots: number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'gptj_http_requests_total',
      help: 'HTTP requests answered, by route and status (499: the client closed the connection first)',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    new Gauge({
      name: 'gptj_queue_depth',
      help: 'Generation requests waiting for a free slot',
      registers,
      collect() {
        this.set(stats().queued);
      },
    });
    new Gauge({
      name: 'gptj_active_slots',
      help: 'Sequences generating in slots',
      registers,
      collect() {
        this.set(stats().active);
      },
    });
    new Gauge({ name: 'gptj_slots', help: 'Slots (sequences decoded together, --parallel)', registers }).set(slots);
    this.promptTokens = new Counter({ name: 'gptj_prompt_tokens_total', help: 'Prompt tokens of the generation requests', registers });
    this.generatedTokens = new Counter({ name: 'gptj_generated_tokens_total', help: 'Tokens generated (all choices)', registers });
    this.ttft = new Histogram({
      name: 'gptj_time_to_first_token_seconds',
      help: 'From the request reaching the scheduler to its first generated token (queueing included)',
      buckets: SECONDS,
      registers,
    });
    this.interToken = new Histogram({
      name: 'gptj_inter_token_latency_seconds',
      help: 'Between consecutive tokens of one sequence',
      buckets: SECONDS,
      registers,
    });
    this.queueWait = new Histogram({ name: 'gptj_queue_wait_seconds', help: 'From the request reaching the scheduler to a slot', buckets: SECONDS, registers });
    this.stepSeconds = new Histogram({
      name: 'gptj_step_seconds',
      help: 'One forward step of the batch (all its sequences together)',
      buckets: SECONDS,
      registers,
    });
    this.stepSequences = new Histogram({
      name: 'gptj_step_sequences',
      help: 'Sequences advanced by one forward step (batch occupancy)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
  }

  /** Counts every request by its route pattern once its connection is done with it. */
  register(app: FastifyInstance): void {
    app.addHook('onRequest', (request, reply, done) => {
      reply.raw.once('close', () => {
        const status = reply.raw.writableFinished ? String(reply.raw.statusCode) : CLIENT_CLOSED;
        this.requests.inc({ endpoint: request.routeOptions.url ?? 'unmatched', status });
      });
      done();
    });
    app.get('/metrics', async (_request, reply) => reply.type(this.registry.contentType).send(await this.registry.metrics()));
  }

  tokens(prompt: number, generated: number): void {
    this.promptTokens.inc(prompt);
    this.generatedTokens.inc(generated);
  }

  firstToken(ms: number): void {
    this.ttft.observe(ms / 1000);
  }

  nextToken(ms: number): void {
    this.interToken.observe(ms / 1000);
  }

  queued(ms: number): void {
    this.queueWait.observe(ms / 1000);
  }

  step(sequences: number, ms: number): void {
    this.stepSequences.observe(sequences);
    this.stepSeconds.observe(ms / 1000);
  }
}
