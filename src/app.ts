import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import { createGuards } from './http/auth.ts';
import type { AppContext } from './http/context.ts';
import { errorCatalogue } from './http/errors.ts';
import { documentErrors } from './http/openapi.ts';
import { frameworkErrors, registerProblemHandlers } from './http/problem.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { newId } from './lib/ids.ts';
import { createApiKeyService } from './modules/accounts/api-keys.service.ts';
import { createAuthService } from './modules/accounts/auth.service.ts';
import { createMetrics } from './modules/health/metrics.ts';
import { routeModules } from './modules/index.ts';
import { createNotifier } from './modules/notify/notify.service.ts';

export interface AppDeps {
  config: Config;
  db: Db;
  clock?: Clock;
  logger?: FastifyBaseLogger;
}

const REQUEST_ID = /^[A-Za-z0-9_\-.]{8,64}$/;
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** The whole HTTP service without listening: `main.ts` listens, tests call `inject()`. */
export async function buildApp(deps: AppDeps): Promise<{ app: FastifyInstance; ctx: AppContext }> {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.env === 'production',
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId('req', 16);
    },
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array' } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    frameworkErrors,
    // Our onResponse hook logs one line per request with the route pattern instead of the URL.
    logController: new LogController({ disableRequestLogging: true }),
  });

  const auth = createAuthService({ db, clock, config });
  const apiKeys = createApiKeyService({ db, clock, graceHours: config.apiKeyGraceHours });
  const metrics = createMetrics();
  const ctx: AppContext = {
    config,
    db,
    clock,
    auth,
    apiKeys,
    guards: createGuards(auth, apiKeys),
    metrics,
    notifier: createNotifier({ db, clock, smtpUrl: config.smtpUrl, mailFrom: config.mailFrom }),
    queue: null,
    readiness: new Map(),
  };

  registerProblemHandlers(app);
  // A JSON API: plain text bodies are refused with 415 rather than parsed as strings.
  app.removeContentTypeParser('text/plain');
  await app.register(cookie);
  await app.register(multipart, {
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 4, fields: 20, fieldSize: 64 * 1024, parts: 24 },
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    // Route pattern, not the URL: query strings and paths may carry personal data.
    req.log.info(
      { method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  await app.register(swagger, {
    transform: documentErrors,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'MobiFone eKYC API',
        version: '1.0.0',
        description:
          'Xác thực danh tính KH MobiFone eKYC — public eKYC API (`/v1`, API key) and back-office API (`/api`, session cookie + X-CSRF-Token).',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key issued to the customer' },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: 'ekyc_session' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  for (const mod of routeModules) await mod(app, ctx);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/api/errors',
    { schema: { tags: ['docs'], summary: 'Every error code the API returns' } },
    async () => ({
      items: errorCatalogue(),
    }),
  );

  return { app, ctx };
}
