// GET /health for load balancers and Kubernetes readiness probes: 200 while the server takes generation requests,
// 503 once it drains (SIGTERM or app.close()). The model loads before the server listens (createServer), so until it
// is loaded the port refuses connections, which probes also read as not ready.
import type { FastifyInstance } from 'fastify';
import type { Engine } from './engine.js';

export function registerHealth(app: FastifyInstance, engine: Engine): void {
  app.get('/health', (_request, reply) => {
    const { active, queued } = engine.stats;
    const body = { status: engine.draining ? 'draining' : 'ok', model: engine.modelName, slots: engine.parallel, active, queued };
    return reply.status(engine.draining ? 503 : 200).send(body);
  });
}
