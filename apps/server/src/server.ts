// createServer: loads the model once and builds the fastify app with every route and the OpenAI-style error handler.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerChat } from './chat.js';
import { registerCompletions } from './completions.js';
import { Engine, type EngineOptions } from './engine.js';
import { clientErrorHandler } from './client-errors.js';
import { ApiError, toApiError } from './errors.js';
import { registerEmbeddings } from './embeddings.js';
import { registerHealth } from './health.js';
import { registerModels } from './models.js';
import { registerPlayground } from './playground.js';
import { MAX_LOGPROBS } from './schemas.js';
import { registerTokenize } from './tokenize.js';
import { registerBodyParser } from './request-body.js';
import { logGptjWarnings, warnUnknownFields } from './warnings.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The loaded model and tokenizer behind the routes. */
    gptj: Engine;
  }
}

export interface ServerOptions extends EngineOptions {
  /** fastify's logger option (default: off). */
  logger?: FastifyServerOptions['logger'];
}

/** Plain words for the fields that accept several shapes (ajv would say "must match a schema in anyOf"). */
const ANY_OF_MESSAGES: Record<string, string> = {
  prompt: 'must be a string, a non-empty array of token ids, or a non-empty array of those',
  input: 'must be a string, a non-empty array of token ids, or a non-empty array of those',
  logprobs: `must be an integer from 0 to ${MAX_LOGPROBS} or null`,
  stop: 'must be a non-empty string or an array of at most 4 non-empty strings',
};

/** ajv's error to report (the last one: for anyOf, which lists each branch's failure first) as an OpenAI-style 400. */
function validationError(v: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }, context: string): ApiError {
  const path = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra = (v.params.missingProperty ?? v.params.additionalProperty) as string | undefined;
  const param = [path, extra].filter(Boolean).join('.') || null;
  const message =
    v.params.additionalProperty !== undefined
      ? 'is not a supported field'
      : ((v.keyword === 'anyOf' ? ANY_OF_MESSAGES[path] : undefined) ?? v.message ?? 'is invalid');
  return new ApiError(400, `${param ?? context}: ${message}`, 'invalid_request_error', param);
}

/** fastify's own 4xx (wrong content type, body too large...) in the OpenAI shape, with a hint where one helps. */
function fastifyClientError(e: { code?: string; statusCode: number; message: string }, contentType: string | undefined): ApiError {
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ApiError(415, `unsupported content-type ${JSON.stringify(contentType ?? '')}: send the body as JSON (content-type: application/json)`);
  }
  return new ApiError(e.statusCode, e.message);
}

/** Loads the model (default: the bundled mini-code checkpoint) and returns the app, not yet listening. */
export async function createServer(opts: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    // Types are not coerced: a wrong type is a 400. Unknown fields are ignored and logged (warnUnknownFields).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    clientErrorHandler,
  });
  // A client may half-close (shut down its sending side) once its request is out; the reply must still reach it.
  (app.server as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
  // Taken before the model loads, so that warnings raised while it loads (threads capped...) are logged too.
  const stopWarnings = logGptjWarnings(app.log);
  let engine: Engine;
  try {
    engine = await Engine.load(opts);
  } catch (err) {
    stopWarnings();
    throw err;
  }

  app.decorate('gptj', engine);
  engine.metrics.register(app);
  registerBodyParser(app);
  warnUnknownFields(app);
  app.setErrorHandler((err, request, reply) => {
    const e = err as { validation?: Parameters<typeof validationError>[0][]; validationContext?: string; statusCode?: number; code?: string; message: string };
    const invalid = e.validation?.at(-1);
    let api: ApiError;
    if (invalid) api = validationError(invalid, e.validationContext ?? 'body');
    else if (!(err instanceof ApiError) && e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
      api = fastifyClientError({ ...e, statusCode: e.statusCode }, request.headers['content-type']);
    } else api = toApiError(err);
    if (api.statusCode >= 500 && api.code === null) reply.log.error(err);
    return reply.status(api.statusCode).headers(api.headers).send(api.toBody());
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send(new ApiError(404, `no route ${request.method} ${request.url}`).toBody()));

  registerPlayground(app);
  registerModels(app, engine);
  registerCompletions(app, engine);
  registerChat(app, engine);
  registerEmbeddings(app, engine);
  registerTokenize(app, engine);
  registerHealth(app, engine);
  // app.close() drains: the server stops accepting, requests in flight finish (aborted after drainTimeoutMs), then
  // the model is freed. Keep-alive connections are closed as soon as their response is done (server.close() closes
  // only those idle when it is called, and waits for the others: a client's idle keep-alive would hold it for seconds).
  let reaper: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    engine.beginDrain(engine.drainTimeoutMs);
    reaper = setInterval(() => app.server.closeIdleConnections(), 50).unref();
    done();
  });
  app.addHook('onClose', async () => {
    clearInterval(reaper);
    stopWarnings();
    await engine.close();
  });
  return app;
}
