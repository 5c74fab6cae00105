// POST /v1/embeddings in OpenAI's schema: the mean-pooled, L2-normalised final hidden state (after ln_f) of each input.
import { AbortedError, embed } from '@gptj/model';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { abortOnClose } from './abort.js';
import type { Engine } from './engine.js';
import { ApiError } from './errors.js';
import { checkModel } from './models.js';
import { embeddingsBodySchema, type EmbeddingsBody } from './schemas.js';
import { toIds } from './token-ids.js';

/** OpenAI's own limits on one request: 2048 inputs, 300k tokens in all. */
export const MAX_EMBEDDING_INPUTS = 2048;
export const MAX_EMBEDDING_TOKENS = 300_000;

/** The request's inputs as a list (a single text or id array is one input). */
function inputList(input: EmbeddingsBody['input']): (string | number[])[] {
  if (typeof input === 'string') return [input];
  return input.every((x) => typeof x === 'number') ? [input as number[]] : (input as (string | number[])[]);
}

/** Token ids of each input, checked against the model's vocabulary and context and the request limits. */
function inputIds(engine: Engine, input: EmbeddingsBody['input']): number[][] {
  const list = inputList(input);
  if (list.length > MAX_EMBEDDING_INPUTS)
    throw new ApiError(400, `input: at most ${MAX_EMBEDDING_INPUTS} inputs per request, got ${list.length}`, 'invalid_request_error', 'input');
  let total = 0;
  return list.map((x, i) => {
    const param = list.length === 1 && input === x ? 'input' : `input[${i}]`;
    const ids = toIds(engine, x, param);
    if (ids.length === 0) throw new ApiError(400, `${param}: is empty (at least one token is needed)`, 'invalid_request_error', 'input');
    if (ids.length > engine.maxLength) {
      throw new ApiError(
        400,
        `${param}: ${ids.length} tokens, more than the model's context of ${engine.maxLength}`,
        'invalid_request_error',
        'input',
        'context_length_exceeded',
      );
    }
    total += ids.length;
    if (total > MAX_EMBEDDING_TOKENS) throw new ApiError(400, `input: more than ${MAX_EMBEDDING_TOKENS} tokens in all`, 'invalid_request_error', 'input');
    return ids;
  });
}

/** Little-endian float32 bytes in base64, as OpenAI's encoding_format 'base64' (every platform Node runs on is little-endian). */
function base64(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

/**
 * A reply not yet sent learns that its client left only by writing to it: the server allows half-open connections
 * (a client may shut down its sending side and still read the reply), so the FIN of a client that closed looks
 * the same as one that half-closed. After that FIN, each micro-batch sends an interim "102 Processing" response
 * (HTTP clients skip 1xx responses): a half-closed client reads it, a closed one answers with a reset, the next
 * write fails, the socket closes and abortOnClose's signal stops the run.
 */
function probeAfterClientEnd(reply: FastifyReply): () => void {
  let ended = false;
  reply.raw.socket?.once('end', () => (ended = true));
  return () => {
    if (ended && !reply.raw.headersSent && !reply.raw.destroyed) reply.raw.writeProcessing();
  };
}

export function registerEmbeddings(app: FastifyInstance, engine: Engine): void {
  app.post<{ Body: EmbeddingsBody }>('/v1/embeddings', { schema: { body: embeddingsBodySchema } }, async (request, reply) => {
    const body = request.body;
    checkModel(engine, body.model);
    if (body.dimensions !== undefined) {
      throw new ApiError(
        400,
        `dimensions: not supported; this model's embeddings have ${engine.model.config.nEmbd} dimensions (leave the field out)`,
        'invalid_request_error',
        'dimensions',
      );
    }
    const ids = inputIds(engine, body.input);
    // a client that disconnects stops the work between micro-batches (and frees the model's turn for others)
    const signal = abortOnClose(reply);
    const onProgress = probeAfterClientEnd(reply);
    const vectors = await engine
      .withModel((model) => embed(model, ids, { pooling: 'mean', normalize: true, signal, onProgress }))
      .catch((err: unknown) => {
        throw err instanceof AbortedError
          ? new ApiError(499, 'the client closed the connection before its embeddings were ready', 'invalid_request_error', null, 'client_closed')
          : err;
      });
    const tokens = ids.reduce((a, r) => a + r.length, 0);
    return {
      object: 'list',
      data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: body.encoding_format === 'base64' ? base64(v) : Array.from(v) })),
      model: engine.modelName,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });
}
