import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import type { AppContext } from '../../http/context.ts';
import { registerProblemHandlers } from '../../http/problem.ts';
import { createWebRoutes } from './web.routes.ts';

const INDEX =
  '<!doctype html><html><body><div id="root"></div><script src="/assets/app-abc123.js"></script></body></html>';

/** A bare app with the problem handlers, one fake API route and the web module on `dist`. */
async function appWith(dist: string): Promise<FastifyInstance> {
  const app = Fastify();
  registerProblemHandlers(app);
  app.get('/api/ping', async () => ({ ok: true }));
  await createWebRoutes(dist)(app, {} as AppContext);
  await app.ready();
  return app;
}

describe('web portal serving', () => {
  let dist: string;
  let app: FastifyInstance;
  before(async () => {
    dist = await mkdtemp(path.join(tmpdir(), 'ekyc-web-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), INDEX);
    await writeFile(path.join(dist, 'assets', 'app-abc123.js'), 'console.log(1)');
    await writeFile(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await appWith(dist);
  });
  after(async () => {
    await app.close();
    await rm(dist, { recursive: true, force: true });
  });

  test('serves the built index at / and at every portal path (SPA fallback)', async () => {
    for (const url of ['/', '/login', '/app', '/app/customers/cus_1/api-keys', '/capture/tok_abc?x=1']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /text\/html/, url);
      assert.equal(res.body, INDEX, url);
      assert.equal(res.headers['cache-control'], 'no-cache', url);
    }
  });

  test('serves hashed assets with a long immutable cache', async () => {
    const res = await app.inject({ url: '/assets/app-abc123.js' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /javascript/);
    assert.match(String(res.headers['cache-control']), /immutable/);
  });

  test('never shadows the API: unknown API paths stay problem+json 404, methods stay 405-free', async () => {
    assert.equal((await app.inject({ url: '/api/ping' })).json().ok, true);
    for (const url of ['/api/nope', '/v1/nope', '/health/nope', '/assets/missing.js', '/nope']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/, url);
      assert.equal(res.json().code, 'ERR_ROUTE_NOT_FOUND', url);
    }
    const post = await app.inject({ method: 'POST', url: '/api/nope', payload: {} });
    assert.equal(post.json().code, 'ERR_ROUTE_NOT_FOUND');
  });

  test('refuses path traversal out of the build folder', async () => {
    for (const url of [
      '/assets/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/app/..%2f..%2fpackage.json',
    ]) {
      const res = await app.inject({ url });
      assert.notEqual(res.statusCode, 500, url);
      assert.ok(!res.body.includes('root:'), url);
      if (res.statusCode === 200) assert.equal(res.body, INDEX, url);
    }
  });
});

describe('web portal not built', () => {
  test('says how to build it instead of failing', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'ekyc-web-empty-'));
    const app = await appWith(path.join(empty, 'dist'));
    try {
      for (const url of ['/', '/app/customers', '/capture/tok']) {
        const res = await app.inject({ url });
        assert.equal(res.statusCode, 200, url);
        assert.match(res.body, /npm run build:web/, url);
      }
      assert.equal((await app.inject({ url: '/api/nope' })).json().code, 'ERR_ROUTE_NOT_FOUND');
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('web portal in the full app', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test('leaves /openapi.json, /docs, /health and /api/errors to their own routes', async () => {
    const spec = await t.app.inject({ url: '/openapi.json' });
    assert.equal(spec.statusCode, 200);
    const paths = Object.keys(spec.json().paths ?? {});
    assert.ok(paths.includes('/api/auth/login'));
    assert.ok(
      !paths.some((p) => p === '/' || p.startsWith('/app') || p.startsWith('/capture')),
      'portal hidden',
    );
    assert.equal((await t.app.inject({ url: '/health/live' })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/api/errors' })).statusCode, 200);
    const docs = await t.app.inject({ url: '/docs' });
    assert.ok(docs.statusCode < 400, `docs ${docs.statusCode}`);
    const portal = await t.app.inject({ url: '/app' });
    assert.equal(portal.statusCode, 200);
    assert.match(String(portal.headers['content-type']), /text\/html/);
  });
});
