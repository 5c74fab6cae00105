// Warnings for the server's log: from the @gptj libraries (process warnings with a GPTJ_* code, e.g.
// GPTJ_THREADS_CAPPED), each distinct one once, instead of Node's "(node:PID) Warning" lines on stderr; and the
// request fields the server ignores.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

const MAX_FIELDS_LOGGED = 20;

/** What unknownFields reads of a JSON schema. */
interface BodySchema {
  properties?: Record<string, BodySchema>;
  items?: BodySchema;
}

interface CodedWarning extends Error {
  code?: string;
}

function isGptjWarning(warning: CodedWarning): boolean {
  return typeof warning.code === 'string' && warning.code.startsWith('GPTJ_');
}

/** Logs GPTJ_* warnings through `log` (once per code and message); returns the function that stops it. */
export function logGptjWarnings(log: FastifyBaseLogger): () => void {
  const seen = new Set<string>();
  const onWarning = (warning: CodedWarning): void => {
    if (!isGptjWarning(warning)) return;
    const key = `${warning.code}\n${warning.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    log.warn({ code: warning.code }, warning.message);
  };
  process.on('warning', onWarning);
  return () => process.off('warning', onWarning);
}

/** For the gptj-server process: Node's own printer skips GPTJ_* warnings (the app logs them) and prints the rest. */
export function leaveGptjWarningsToTheLog(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: CodedWarning) => {
    if (!isGptjWarning(warning)) for (const print of printers) print(warning);
  });
}

/** The keys of `value` (and of its objects and arrays, where the schema names their fields) the schema does not name. */
export function unknownFields(value: unknown, schema: BodySchema, path = ''): string[] {
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => unknownFields(v, schema.items!, at(i))) : [];
  if (value === null || typeof value !== 'object' || !schema.properties) return [];
  const props = schema.properties;
  return Object.entries(value).flatMap(([key, v]) => (Object.hasOwn(props, key) ? unknownFields(v, props[key]!, at(key)) : [at(key)]));
}

/**
 * Request fields the route's body schema does not name are ignored (the schemas allow them) and logged once per
 * request at level warn, naming them: OpenAI clients send vendor fields (parallel_tool_calls, metadata, store...).
 */
export function warnUnknownFields(app: FastifyInstance): void {
  app.addHook('preHandler', (request, _reply, done) => {
    const schema = request.routeOptions.schema?.body as BodySchema | undefined;
    const all = schema ? unknownFields(request.body, schema) : [];
    if (all.length > 0) {
      // a body may hold any number of keys of any length: the log line names a bounded few
      const fields = all.slice(0, MAX_FIELDS_LOGGED).map((f) => (f.length > 64 ? `${f.slice(0, 64)}...` : f));
      const more = all.length > fields.length ? ` and ${all.length - fields.length} more` : '';
      request.log.warn({ fields, url: request.url }, `ignored unknown request fields: ${fields.join(', ')}${more}`);
    }
    done();
  });
}
