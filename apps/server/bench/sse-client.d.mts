// Types of sse-client.mjs (the load bench's streaming client) for the tests that check it.
export declare class SseParser {
  constructor(onData: (data: string) => void);
  readonly onData: (data: string) => void;
  push(text: string): void;
}
export declare function streamEvents(url: string, body: unknown, signal: AbortSignal | undefined, onChunk: (chunk: unknown) => void): Promise<void>;
