export { createServer, type ServerOptions } from './server.js';
export { Engine, type EngineOptions, type GenerationResult, type FinishReason } from './engine.js';
export { ApiError, toApiError, type ApiErrorType } from './errors.js';
export { renderChat, CHAT_STOP, type ChatMessage } from './chat-template.js';
export { toGenerateOptions } from './request-options.js';
export { Mutex } from './mutex.js';
