import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/app.ts';

describe('every error is problem+json with a stable code', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const expectProblem = (
    res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
    status: number,
    code: string,
  ) => {
    assert.equal(res.statusCode, status);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    const body = res.json() as { code: string; status: number; request_id: string; title: string };
    assert.equal(body.code, code);
    assert.equal(body.status, status);
    assert.ok(body.title);
    assert.equal(body.request_id, res.headers['x-request-id']);
    return body;
  };

  test('malformed JSON → 400 ERR_MALFORMED_JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@b.c", "password": ',
    });
    expectProblem(res, 400, 'ERR_MALFORMED_JSON');
  });

  test('empty JSON body → 400 ERR_MALFORMED_JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expectProblem(res, 400, 'ERR_MALFORMED_JSON');
  });

  test('unknown route → 404 ERR_ROUTE_NOT_FOUND', async () => {
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/api/nothing-here' }),
      404,
      'ERR_ROUTE_NOT_FOUND',
    );
  });

  test('wrong method → 405 ERR_METHOD_NOT_ALLOWED with Allow', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/auth/login' });
    expectProblem(res, 405, 'ERR_METHOD_NOT_ALLOWED');
    assert.equal(res.headers.allow, 'POST');
  });

  test('wrong method on a route with a parameter → 405', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/api-keys/key_abc/revoke' });
    expectProblem(res, 405, 'ERR_METHOD_NOT_ALLOWED');
  });

  test('too large → 413 ERR_PAYLOAD_TOO_LARGE', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expectProblem(res, 413, 'ERR_PAYLOAD_TOO_LARGE');
  });

  test('wrong content type → 415 ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': type },
        payload: 'email=a@b.c',
      });
      expectProblem(res, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('validation → 400 ERR_VALIDATION with field paths', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 5, extra: true },
    });
    const body = expectProblem(res, 400, 'ERR_VALIDATION') as unknown as { errors: Array<{ path: string }> };
    const paths = body.errors.map((e) => e.path).sort();
    assert.deepEqual(paths, ['body.email', 'body.extra', 'body.password']);
  });

  test('a bad path parameter → 400 with its path', async () => {
    const admin = await t.login('admin@ekyc.local');
    const res = await admin.request({ method: 'GET', url: "/api/customers/cus_'%20OR%201=1" });
    const body = expectProblem(res, 400, 'ERR_VALIDATION') as unknown as { errors: Array<{ path: string }> };
    assert.equal(body.errors[0]?.path, 'params.customerId');
  });

  test('a bad query parameter → 400 with its path', async () => {
    const admin = await t.login('admin@ekyc.local');
    const res = await admin.request({ method: 'GET', url: '/api/customers?limit=-1' });
    const body = expectProblem(res, 400, 'ERR_VALIDATION') as unknown as { errors: Array<{ path: string }> };
    assert.equal(body.errors[0]?.path, 'querystring.limit');
  });

  test('hostile bodies never produce a 500', async () => {
    const payloads = [
      '[]',
      'null',
      '"string"',
      '{"email": {"$gt": ""}, "password": []}',
      '{"__proto__": {"admin": true}, "email": "a@b.c", "password": "x"}',
      `{"email": "${'a'.repeat(300)}@b.c", "password": "x"}`,
      '\u0000\u0001\u0002',
      '{"email":"a@b.c","password":"x"}}}}',
    ];
    for (const payload of payloads) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${payload} → ${res.statusCode}`);
      assert.match(String(res.headers['content-type']), /problem\+json/);
    }
  });

  test('a request id given by the caller is echoed; a hostile one is replaced', async () => {
    const ok = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bank-trace-12345' },
    });
    assert.equal(ok.headers['x-request-id'], 'bank-trace-12345');
    const bad = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': '<script>' },
    });
    assert.match(String(bad.headers['x-request-id']), /^req_/);
  });

  test('the error catalogue lists every code with its status', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/errors' });
    const codes = (res.json() as { items: Array<{ code: string; status: number }> }).items;
    for (const code of [
      'ERR_MALFORMED_JSON',
      'ERR_VALIDATION',
      'ERR_METHOD_NOT_ALLOWED',
      'ERR_PAYLOAD_TOO_LARGE',
    ]) {
      assert.ok(
        codes.some((c) => c.code === code),
        code,
      );
    }
  });
});
