// A server process for the shutdown, replica and load tests: the built app (dist/) with graceful shutdown installed,
// listening on 127.0.0.1; prints {"port": N} on stdout once it listens. argv[2]: JSON
// { server?: createServer options, deadlineMs?: drain deadline, port?: number }.
import { createServer, installGracefulShutdown } from '../../dist/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}');
// logs on stderr: stdout carries the port line
const app = await createServer({ logger: { level: 'info', stream: process.stderr }, ...opts.server });
installGracefulShutdown(app, { deadlineMs: opts.deadlineMs });
await app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
