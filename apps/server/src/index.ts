export { createServer, type ServerOptions } from './server.js';
export {
  Engine,
  DEFAULT_PARALLEL,
  DEFAULT_MAX_QUEUE,
  DEFAULT_DRAIN_TIMEOUT_MS,
  type EngineOptions,
  type GenerationResult,
  type GeneratedChoice,
  type FinishReason,
} from './engine.js';
export { installGracefulShutdown, type GracefulShutdownOptions } from './shutdown.js';
export { ApiError, toApiError, type ApiErrorType } from './errors.js';
export { renderChat, CHAT_STOP, type ChatMessage } from './chat-template.js';
export { toGenerateOptions } from './request-options.js';
export { Mutex } from './mutex.js';
export { startServer, terminalProgress, type StartOptions, type Started } from './start.js';
