// JSON schemas of the request bodies (validated by fastify's ajv before a handler runs) and their TS types.
// A field the schemas do not name is ignored and logged (warnUnknownFields, warnings.ts): clients send vendor fields
// (parallel_tool_calls, metadata, store, service_tier...) a local server need not refuse. A named field of the wrong
// type is still a 400. The check follows `properties` and `items` (not `anyOf`: content parts keep their own keys).

/** OpenAI's largest `logprobs` on legacy completions (alternatives per token). */
export const MAX_LOGPROBS = 5;
/** OpenAI's largest `top_logprobs` on chat completions. */
export const MAX_CHAT_TOP_LOGPROBS = 20;

const tokenIdsSchema = { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 } as const;

const samplingProperties = {
  max_tokens: { type: 'integer', minimum: 1 },
  temperature: { type: 'number', minimum: 0, maximum: 2 },
  top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  presence_penalty: { type: 'number', minimum: -2, maximum: 2 },
  frequency_penalty: { type: 'number', minimum: -2, maximum: 2 },
  stop: {
    anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 4 }, { type: 'null' }],
  },
  seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
  n: { type: 'integer', minimum: 1 },
  logit_bias: {
    type: 'object',
    propertyNames: { pattern: '^[0-9]+$' },
    additionalProperties: { type: 'number', minimum: -100, maximum: 100 },
  },
  stream: { type: 'boolean' },
  stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
  user: { type: 'string' },
  // vLLM's and llama.cpp's: 0 or -1 turns it off
  top_k: { type: 'integer', minimum: -1 },
  // json_object: grammar-constrained decoding to one JSON object (request-options.ts); json_schema is refused there
  response_format: {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: ['text', 'json_object', 'json_schema'] }, json_schema: { type: 'object' } },
  },
} as const;

export const completionBodySchema = {
  type: 'object',
  required: ['prompt'],
  properties: {
    model: { type: 'string' },
    prompt: {
      anyOf: [
        { type: 'string' },
        tokenIdsSchema,
        { type: 'array', items: { type: 'string' }, minItems: 1 },
        { type: 'array', items: tokenIdsSchema, minItems: 1 },
      ],
    },
    ...samplingProperties,
    // 0 is allowed here: with echo, the prompt's own logprobs and no generation (what evaluation harnesses send)
    max_tokens: { type: 'integer', minimum: 0 },
    echo: { type: 'boolean' },
    logprobs: { anyOf: [{ type: 'integer', minimum: 0, maximum: MAX_LOGPROBS }, { type: 'null' }] },
    // sibling sequences generated, the n with the highest mean token logprob returned (siblings.ts)
    best_of: { type: 'integer', minimum: 1 },
  },
} as const;

export const embeddingsBodySchema = {
  type: 'object',
  required: ['input'],
  properties: {
    model: { type: 'string' },
    input: {
      anyOf: [
        { type: 'string' },
        tokenIdsSchema,
        { type: 'array', items: { type: 'string' }, minItems: 1 },
        { type: 'array', items: tokenIdsSchema, minItems: 1 },
      ],
    },
    encoding_format: { enum: ['float', 'base64'] },
    dimensions: { type: 'integer' },
    user: { type: 'string' },
  },
} as const;

export const tokenizeBodySchema = {
  type: 'object',
  properties: { content: { type: 'string' }, prompt: { type: 'string' } },
} as const;

export const detokenizeBodySchema = {
  type: 'object',
  required: ['tokens'],
  properties: { tokens: { type: 'array', items: { type: 'integer', minimum: 0 } } },
} as const;

export const chatBodySchema = {
  type: 'object',
  required: ['messages'],
  properties: {
    model: { type: 'string' },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          // `developer` is OpenAI's newer name for the system role.
          role: { enum: ['system', 'developer', 'user', 'assistant'] },
          // A string, or content parts; chat-messages.ts accepts the text parts and refuses the others by name.
          content: {
            anyOf: [
              { type: 'string' },
              { type: 'array', minItems: 1, items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } },
            ],
          },
          name: { type: 'string' },
        },
      },
    },
    ...samplingProperties,
    // OpenAI's newer name for max_tokens on chat completions.
    max_completion_tokens: { type: 'integer', minimum: 1 },
    logprobs: { type: 'boolean' },
    top_logprobs: { type: 'integer', minimum: 0, maximum: MAX_CHAT_TOP_LOGPROBS },
  },
} as const;

/** Fields shared by both endpoints. */
export interface SamplingBody {
  model?: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  stop?: string | string[] | null;
  seed?: number;
  n?: number;
  logit_bias?: Record<string, number>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  user?: string;
  top_k?: number;
  response_format?: { type: 'text' | 'json_object' | 'json_schema' };
}

export interface CompletionBody extends SamplingBody {
  prompt: string | number[] | string[] | number[][];
  echo?: boolean;
  logprobs?: number | null;
  best_of?: number;
}

export interface EmbeddingsBody {
  model?: string;
  input: string | number[] | string[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface TokenizeBody {
  content?: string;
  prompt?: string;
}

export interface DetokenizeBody {
  tokens: number[];
}

/** One part of a message's content array: `{ type: 'text', text }` is read, other types are refused. */
export interface ContentPart {
  type: string;
  text?: unknown;
}

export interface ChatBody extends SamplingBody {
  messages: { role: 'system' | 'developer' | 'user' | 'assistant'; content: string | ContentPart[]; name?: string }[];
  max_completion_tokens?: number;
  logprobs?: boolean;
  top_logprobs?: number;
}
