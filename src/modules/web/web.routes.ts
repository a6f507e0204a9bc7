import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../../http/context.ts';

/** Where `vite build` (run by `npm install` through the `prepare` script) puts the portal. */
export const DEFAULT_DIST = path.resolve(import.meta.dirname, '../../../web/dist');

/**
 * Client-side paths of the single-page app. Each is an explicit prefix, so the portal never
 * shadows `/api`, `/v1`, `/docs`, `/health`, `/metrics` or `/openapi.json`, and an unknown API
 * path still gets the API's problem+json 404.
 */
export const SPA_PATHS = ['/', '/login', '/app', '/app/*', '/capture/*'] as const;

const NOT_BUILT = `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>MobiFone eKYC — portal not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1a2e}
code{background:#eef;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>MobiFone eKYC</h1>
<p>Cổng thông tin web chưa được build. / The web portal has not been built.</p>
<p>Run <code>npm install</code> (its <code>prepare</code> script builds it) or <code>npm run build:web</code>,
then restart the server.</p>
<p>The API works meanwhile: <a href="/docs">/docs</a>, <a href="/openapi.json">/openapi.json</a>,
<a href="/health/ready">/health/ready</a>.</p></body></html>
`;

/** Hashed asset names never change content: cache them for a year; the HTML always revalidates. */
function cacheHeaders(reply: FastifyReply, filePath: string) {
  reply.header(
    'cache-control',
    filePath.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  );
}

function securityHeaders(reply: FastifyReply) {
  reply
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    // The capture flow needs the camera of this origin only.
    .header('permissions-policy', 'camera=(self), microphone=(), geolocation=()');
}

/** Builds the route module for a given build folder (tests pass a temporary one). */
export function createWebRoutes(distDir: string = DEFAULT_DIST) {
  return async function webRoutes(app: FastifyInstance, _ctx: AppContext) {
    const built = existsSync(path.join(distDir, 'index.html'));
    await app.register(async (scope) => {
      if (!built) {
        for (const url of SPA_PATHS) {
          scope.get(url, { schema: { hide: true } }, async (_req, reply) => {
            securityHeaders(reply);
            return reply
              .code(200)
              .type('text/html; charset=utf-8')
              .header('cache-control', 'no-cache')
              .send(NOT_BUILT);
          });
        }
        return;
      }
      // `wildcard: false` registers one route per built file instead of a catch-all `/*`.
      await scope.register(fastifyStatic, {
        root: distDir,
        prefix: '/',
        wildcard: false,
        index: false,
        schemaHide: true,
        setHeaders: cacheHeaders,
      });
      for (const url of SPA_PATHS) {
        scope.get(url, { schema: { hide: true } }, async (_req, reply) => {
          securityHeaders(reply);
          return reply.header('cache-control', 'no-cache').sendFile('index.html');
        });
      }
    });
  };
}

export const webRoutes = createWebRoutes();
