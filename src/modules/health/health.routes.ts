import type { FastifyInstance } from 'fastify';
import { pendingMigrations } from '../../db/migrate.ts';
import type { AppContext } from '../../http/context.ts';
import { httpError } from '../../http/errors.ts';

export async function healthRoutes(app: FastifyInstance, ctx: AppContext) {
  ctx.readiness.set('database', async () => {
    await ctx.db.query('SELECT 1');
    return { ok: true };
  });
  ctx.readiness.set('migrations', async () => {
    const pending = await pendingMigrations(ctx.db);
    return pending.length === 0 ? { ok: true } : { ok: false, detail: `pending: ${pending.join(', ')}` };
  });

  app.get('/health/live', { schema: { tags: ['health'], summary: 'The process is up' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/health/ready',
    { schema: { tags: ['health'], summary: 'Database reachable, migrations current, models loaded' } },
    async (_req, reply) => {
      const checks: Record<string, { ok: boolean; detail?: string }> = {};
      for (const [name, check] of ctx.readiness) {
        try {
          checks[name] = await check();
        } catch {
          checks[name] = { ok: false, detail: 'check failed' };
        }
      }
      const ok = Object.values(checks).every((c) => c.ok);
      if (!ok) {
        const failing = Object.entries(checks)
          .filter(([, c]) => !c.ok)
          .map(([n]) => n);
        throw httpError('ERR_UNAVAILABLE', `Not ready: ${failing.join(', ')}`, { checks });
      }
      return reply.send({ status: 'ready', checks });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['health'], summary: 'Prometheus metrics', hide: true } },
    async (_req, reply) => {
      reply.type(ctx.metrics.registry.contentType);
      return ctx.metrics.registry.metrics();
    },
  );
}
