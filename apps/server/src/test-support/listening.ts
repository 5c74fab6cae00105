// A server listening on an ephemeral 127.0.0.1 port, with the official openai client pointed at it.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import OpenAI from 'openai';
import type { FastifyInstance } from 'fastify';
import { createServer, type ServerOptions } from '../server.js';

export interface Listening {
  app: FastifyInstance;
  /** http://127.0.0.1:PORT */
  base: string;
  client: OpenAI;
}

export async function listening(opts: ServerOptions = {}): Promise<Listening> {
  const app = await createServer(opts);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { app, base, client: new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-needed', maxRetries: 0 }) };
}

/** A server for the tests of one file: started in beforeAll, closed in afterAll; its fields are set once started. */
export function useListening(opts: ServerOptions = {}): Listening {
  const server = {} as Listening;
  beforeAll(async () => {
    Object.assign(server, await listening(opts));
  });
  afterAll(async () => {
    await server.app?.close();
  });
  return server;
}
