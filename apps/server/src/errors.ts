// OpenAI-style error bodies: `{ error: { message, type, param, code } }`, and the mapping from the libraries' errors.
import { ContextLengthError, InvalidOptionError, InvalidPromptError, SchedulerClosedError } from '@gptj/sampling';

export type ApiErrorType = 'invalid_request_error' | 'server_error';

/** An error the server answers with its own status and an OpenAI-shaped body. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly type: ApiErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Response headers that go with it (Retry-After on a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): { error: { message: string; type: ApiErrorType; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** @gptj/sampling's camelCase option names -> the request fields they come from. */
const PARAM_OF_OPTION: Record<string, string> = {
  maxNewTokens: 'max_tokens',
  temperature: 'temperature',
  topP: 'top_p',
  presencePenalty: 'presence_penalty',
  frequencyPenalty: 'frequency_penalty',
  logitBias: 'logit_bias',
  stop: 'stop',
  seed: 'seed',
  numReturnSequences: 'n',
  topLogprobs: 'top_logprobs',
};

/** Sampling's typed errors become 400s naming the request field; anything else is a 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof InvalidOptionError) {
    const [head, ...rest] = err.option.split('.'); // nested values: logitBias.50256 -> logit_bias.50256
    const param = [PARAM_OF_OPTION[head!] ?? head, ...rest].join('.');
    return new ApiError(400, `${param}: ${err.reason}`, 'invalid_request_error', param);
  }
  if (err instanceof ContextLengthError) {
    const message =
      `This model's maximum context length is ${err.maxLength} tokens; the request asks for ${err.promptTokens + err.maxNewTokens} ` +
      `(${err.promptTokens} in the prompt, ${err.maxNewTokens} for the completion). Shorten the prompt or lower max_tokens ` +
      `to at most ${Math.max(0, err.maxLength - err.promptTokens)}.`;
    return new ApiError(400, message, 'invalid_request_error', 'max_tokens', 'context_length_exceeded');
  }
  if (err instanceof SchedulerClosedError)
    return new ApiError(503, 'the server is shutting down; retry on another replica', 'server_error', null, 'shutting_down');
  if (err instanceof InvalidPromptError) return new ApiError(400, err.message, 'invalid_request_error', 'prompt');
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(500, `internal error: ${message}`, 'server_error');
}
