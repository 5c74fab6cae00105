// The model routes (GET /v1/models, GET /v1/models/{id}) and the check every generation request passes: a `model`
// that is not the loaded one (or one of its aliases) gets OpenAI's 404 `model_not_found`, not some other model's text.
import type { FastifyInstance } from 'fastify';
import type { Engine } from './engine.js';
import { ApiError } from './errors.js';

function modelObject(engine: Engine) {
  return { id: engine.modelName, object: 'model' as const, created: 0, owned_by: 'gptj', context_length: engine.maxLength };
}

/** Throws OpenAI's 404 for a `model` field naming another model; a request without `model` uses the loaded one. */
export function checkModel(engine: Engine, model: string | undefined): void {
  if (model === undefined || engine.modelIds.has(model)) return;
  throw new ApiError(
    404,
    `The model \`${model}\` does not exist; this server serves \`${engine.modelName}\``,
    'invalid_request_error',
    null,
    'model_not_found',
  );
}

export function registerModels(app: FastifyInstance, engine: Engine): void {
  app.get('/v1/models', () => ({ object: 'list', data: [modelObject(engine)] }));
  // a wildcard, since hub ids hold a slash (EleutherAI/gpt-j-6b)
  app.get<{ Params: { '*': string } }>('/v1/models/*', (request) => {
    const id = request.params['*'];
    if (!engine.modelIds.has(id)) throw new ApiError(404, `The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
    return modelObject(engine);
  });
}
