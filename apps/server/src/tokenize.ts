// POST /tokenize and POST /detokenize, as llama.cpp's server has them: text <-> token ids of the loaded tokenizer.
import type { FastifyInstance } from 'fastify';
import type { Engine } from './engine.js';
import { ApiError } from './errors.js';
import { detokenizeBodySchema, tokenizeBodySchema, type DetokenizeBody, type TokenizeBody } from './schemas.js';
import { checkIds } from './token-ids.js';

export function registerTokenize(app: FastifyInstance, engine: Engine): void {
  app.post<{ Body: TokenizeBody }>('/tokenize', { schema: { body: tokenizeBodySchema } }, (request) => {
    const { content, prompt } = request.body;
    if ((content === undefined) === (prompt === undefined)) {
      throw new ApiError(400, 'send the text as `content` (or `prompt`), exactly one of them', 'invalid_request_error', 'content');
    }
    return { tokens: engine.tokenizer.encode((content ?? prompt)!) };
  });
  app.post<{ Body: DetokenizeBody }>('/detokenize', { schema: { body: detokenizeBodySchema } }, (request) => {
    checkIds(engine, request.body.tokens, 'tokens');
    return { content: engine.tokenizer.decode(request.body.tokens) };
  });
}
