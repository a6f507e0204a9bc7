import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/app.ts';

describe('health, metrics and API docs', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('live and ready answer 200 when the database is reachable and migrated', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.database.ok, true);
    assert.equal(ready.json().checks.migrations.ok, true);
  });

  test('metrics are Prometheus text with request counts by route pattern, never by raw URL', async () => {
    await t.app.inject({ method: 'GET', url: '/api/customers/cus_secretvalue' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(String(res.headers['content-type']), /text\/plain/);
    assert.match(
      res.body,
      /http_requests_total\{method="GET",route="\/api\/customers\/:customerId",status="401"\} 1/,
    );
    assert.ok(!res.body.includes('cus_secretvalue'));
    assert.match(res.body, /process_resident_memory_bytes/);
  });

  test('OpenAPI 3.1 describes every route with its schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/api/auth/login'].post.requestBody);
    assert.ok(doc.paths['/v1/me'].get.security);
    assert.ok(doc.components.securitySchemes.bearerAuth);
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });
});
