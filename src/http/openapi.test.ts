import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createTestApp, type TestApp } from '../../test/app.ts';

interface Media {
  schema?: Record<string, unknown> & { properties?: { code?: { enum?: string[] } } };
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  'x-error-codes'?: string[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}

/**
 * `/openapi.json` documents, for every operation, the problem codes it can answer (all of them in
 * the catalogue, under their catalogue status) and, for every /v1 operation, examples of its JSON
 * request and response bodies that match their own schemas.
 */
describe('the OpenAPI document: error codes and examples', () => {
  let t: TestApp;
  let ops: Array<{ method: string; path: string; op: Operation }>;
  let catalogue: Map<string, number>;
  before(async () => {
    t = await createTestApp();
    const doc = (await t.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );
    const errors = (await t.app.inject({ url: '/api/errors' })).json() as {
      items: Array<{ code: string; status: number }>;
    };
    catalogue = new Map(errors.items.map((e) => [e.code, e.status]));
  });
  after(() => t.close());

  test('every operation lists its error codes, each in the catalogue under its status', () => {
    assert.ok(ops.length > 100, `only ${ops.length} operations`);
    for (const { method, path, op } of ops) {
      const name = `${method} ${path}`;
      const listed = op['x-error-codes'];
      assert.ok(listed && listed.length > 0, `${name} lists no error codes`);
      const inResponses: string[] = [];
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const codes = response.content?.['application/problem+json']?.schema?.properties?.code?.enum;
        assert.ok(codes && codes.length > 0, `${name} ${status} names no codes`);
        for (const code of codes) {
          assert.equal(catalogue.get(code), Number(status), `${name} ${status}: ${code} is not a ${status}`);
          inResponses.push(code);
        }
      }
      assert.deepEqual(inResponses.sort(), [...listed].sort(), `${name}: x-error-codes and responses differ`);
    }
  });

  test('every /v1 operation has examples of its bodies, and they match their schemas', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const check = (name: string, media: Media) => {
      const examples =
        media.example !== undefined
          ? [media.example]
          : Object.values(media.examples ?? {}).map((e) => e.value);
      assert.ok(examples.length > 0, `${name} has no example`);
      const validate = ajv.compile(media.schema ?? {});
      for (const ex of examples) assert.ok(validate(ex), `${name}: ${ajv.errorsText(validate.errors)}`);
    };
    const v1 = ops.filter((o) => o.path.startsWith('/v1/'));
    assert.ok(v1.length >= 36, `only ${v1.length} /v1 operations`);
    for (const { method, path, op } of v1) {
      const name = `${method} ${path}`;
      const json = op.requestBody?.content['application/json'];
      if (json) check(`${name} request`, json);
      const success = Object.entries(op.responses).filter(([s]) => Number(s) < 300);
      assert.ok(success.length > 0, `${name} documents no success response`);
      for (const [status, response] of success) {
        for (const [type, media] of Object.entries(response.content ?? {}))
          check(`${name} ${status} ${type}`, media);
      }
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 400) check(`${name} ${status}`, response.content!['application/problem+json']!);
      }
    }
  });

  test('upload routes document their multipart parts', () => {
    const uploads = [
      'POST /v1/documents/read',
      'POST /v1/faces/compare',
      'POST /v1/liveness/challenges/{id}/verify',
      'PUT /v1/sessions/{id}/documents/front',
      'PUT /v1/sessions/{id}/documents/back',
      'PUT /v1/sessions/{id}/selfie',
      'POST /v1/sessions/{id}/liveness',
      'PUT /v1/capture/{token}/selfie',
    ];
    for (const name of uploads) {
      const op = ops.find((o) => `${o.method} ${o.path}` === name)?.op;
      assert.ok(op, `${name} is not in the document`);
      const schema = op.requestBody?.content['multipart/form-data']?.schema as
        | { properties?: Record<string, { format?: string; items?: { format?: string } }> }
        | undefined;
      const parts = Object.values(schema?.properties ?? {});
      assert.ok(
        parts.some((p) => p.format === 'binary' || p.items?.format === 'binary'),
        `${name} documents no file part`,
      );
      assert.ok(op['x-error-codes']?.includes('ERR_MALFORMED_MULTIPART'), `${name}: ERR_MALFORMED_MULTIPART`);
    }
  });

  test('what the API really answers is documented', async () => {
    const auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
    const cases: Array<{
      method: 'GET' | 'POST';
      url: string;
      path: string;
      payload?: object;
      headers?: object;
    }> = [
      { method: 'GET', url: '/v1/sessions/ses_nosuchsession', path: '/v1/sessions/{id}', headers: auth },
      { method: 'GET', url: '/v1/sessions', path: '/v1/sessions', headers: {} },
      { method: 'GET', url: '/v1/sessions?cursor=%21%21', path: '/v1/sessions', headers: auth },
      { method: 'POST', url: '/v1/sessions', path: '/v1/sessions', headers: auth, payload: { checks: [] } },
      {
        method: 'POST',
        url: '/v1/webhooks',
        path: '/v1/webhooks',
        headers: auth,
        payload: { url: 'https://user:secret@bank.example.vn/hook' },
      },
      {
        method: 'POST',
        url: '/v1/sessions/ses_nosuchsession/submit',
        path: '/v1/sessions/{id}/submit',
        headers: auth,
      },
    ];
    const seen = new Set<string>();
    for (const c of cases) {
      const res = await t.app.inject({
        method: c.method,
        url: c.url,
        headers: { ...c.headers },
        payload: c.payload,
      });
      assert.ok(res.statusCode >= 400, `${c.method} ${c.url} answered ${res.statusCode}`);
      const { code } = res.json() as { code: string };
      const op = ops.find((o) => o.method === c.method && o.path === c.path);
      assert.ok(op?.op['x-error-codes']?.includes(code), `${c.method} ${c.path} does not document ${code}`);
      seen.add(code);
    }
    // The cases reach the route's own codes, not only the generic ones.
    for (const code of [
      'ERR_SESSION_NOT_FOUND',
      'ERR_INVALID_API_KEY',
      'ERR_CURSOR',
      'ERR_VALIDATION',
      'ERR_WEBHOOK_URL',
    ])
      assert.ok(seen.has(code), `no case answered ${code}`);
  });
});
