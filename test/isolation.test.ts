import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { type Client, createTestApp, type TestApp } from './app.ts';
import { aCustomer, aUser } from './builders.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Route {
  method: Method;
  path: string;
}

/** Routes that answer without credentials on purpose. */
const PUBLIC = new Set([
  'POST /api/auth/login',
  'GET /api/errors',
  'GET /api/pricing/quote',
  'GET /api/support/hotlines',
]);

/** Every documented route, from the OpenAPI document: new modules are covered without touching this test. */
function routesOf(doc: { paths: Record<string, Record<string, unknown>> }): Route[] {
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      const m = method.toUpperCase();
      if (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) routes.push({ method: m as Method, path });
    }
  }
  return routes;
}

/** Fills path parameters with the victim's ids where the name says which object it is. */
function fill(path: string, victim: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => victim[name] ?? victim.default!);
}

const noData = (route: string, res: LightMyRequestResponse, secrets: string[]) => {
  assert.ok(res.statusCode < 500, `${route} → ${res.statusCode} ${res.body.slice(0, 200)}`);
  for (const secret of secrets) assert.ok(!res.body.includes(secret), `${route} leaked ${secret}`);
};

describe('tenant isolation over every route', () => {
  let t: TestApp;
  let routes: Route[];
  let victim: Record<string, string>;
  const secrets = ['Ngân hàng TMCP Demo Việt Nam', '0101234560', 'it@demobank.vn', '0912345678'];

  before(async () => {
    t = await createTestApp();
    routes = routesOf((await t.app.inject({ method: 'GET', url: '/openapi.json' })).json());
    const demoKey = (
      await t.db.query<{ id: string }>(`SELECT id FROM api_keys WHERE customer_id = 'cus_demobank'`)
    )[0]!.id;
    victim = {
      customerId: 'cus_demobank',
      keyId: demoKey,
      contractId: 'ctr_demobank',
      default: 'cus_demobank',
    };
  });
  after(() => t.close());

  test('the route list is not empty', () => {
    assert.ok(routes.length >= 10, `only ${routes.length} routes documented`);
  });

  test('without credentials, no back-office or public API route answers with data', async () => {
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      if (PUBLIC.has(key) || !(r.path.startsWith('/api/') || r.path.startsWith('/v1/'))) continue;
      const res = await t.app.inject({
        method: r.method,
        url: fill(r.path, victim),
        payload: r.method === 'GET' ? undefined : {},
      });
      assert.ok([400, 401, 403, 404, 405, 415].includes(res.statusCode), `${key} → ${res.statusCode}`);
      noData(key, res, secrets);
    }
  });

  test("another customer's admin never reads or changes the demo bank's objects", async () => {
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv2' });
    const intruder: Client = await t.login(
      (await aUser(t.db, { role: 'customer_admin', customerId: other })).email,
    );
    for (const r of routes) {
      if (!r.path.startsWith('/api/') || !r.path.includes('{')) continue;
      const key = `${r.method} ${r.path}`;
      const res = await intruder.request({
        method: r.method,
        url: fill(r.path, victim),
        payload: r.method === 'GET' ? undefined : {},
      });
      assert.ok(res.statusCode >= 400, `${key} → ${res.statusCode}`);
      noData(key, res, secrets);
    }
  });

  test("a CTKV user never reads another unit's customer through any route", async () => {
    const unit = await t.login('ctkv1@ekyc.local');
    const foreign = await aCustomer(t.db, { unitId: 'unt_ctkv5', name: 'Công ty Bảo hiểm Bí Mật' });
    for (const r of routes) {
      if (r.method !== 'GET' || !r.path.startsWith('/api/') || !r.path.includes('{customerId}')) continue;
      const res = await unit.request({
        method: 'GET',
        url: fill(r.path, { customerId: foreign, default: foreign }),
      });
      assert.ok(res.statusCode >= 400, `${r.path} → ${res.statusCode}`);
      assert.ok(!res.body.includes('Bí Mật'));
    }
  });

  test("one customer's API key never reaches another customer's data", async () => {
    const other = await aCustomer(t.db, { unitId: 'unt_ctkv2' });
    const { key } = await t.ctx.apiKeys.create(other, 'other', { type: 'system', id: null });
    for (const r of routes) {
      if (!r.path.startsWith('/v1/') || !r.path.includes('{')) continue;
      const res = await t.app.inject({
        method: r.method,
        url: fill(r.path, victim),
        headers: { authorization: `Bearer ${key}` },
        payload: r.method === 'GET' ? undefined : {},
      });
      assert.ok(
        res.statusCode >= 400 || !res.body.includes('cus_demobank'),
        `${r.method} ${r.path} → ${res.statusCode}`,
      );
      noData(`${r.method} ${r.path}`, res, secrets);
    }
  });
});
