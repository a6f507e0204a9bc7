/**
 * Hostile input over every documented route (from `/openapi.json`, so new modules are covered without
 * touching this file): malformed JSON, wrong content types, oversized bodies, truncated and garbage
 * multipart, thousands of parts, image bombs and wrong magic bytes, huge numbers, deep nesting, null
 * bytes, prototype pollution, path traversal in ids, junk query strings. Every answer must be a 4xx
 * `application/problem+json` with a stable code (never a 5xx), within a time bound, and the process
 * must stay healthy afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import Fastify, { type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { readMrzText } from '../src/ekyc/document/mrz.ts';
import { parseCccdQr } from '../src/ekyc/document/qr.ts';
import { AppError } from '../src/http/errors.ts';
import { frameworkErrors, registerProblemHandlers } from '../src/http/problem.ts';
import { type Client, createTestApp, type TestApp } from './app.ts';
import { b64, makeChip, makePki } from './fixtures/chip/vn-chip.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  format?: string;
  minimum?: number;
}
interface Route {
  method: Method;
  path: string;
  jsonBody: JsonSchema | undefined;
}

/** Answers slower than this count as a failure (a parser stuck on hostile input). Generous: 2 shared cores. */
const TIME_BOUND_MS = 15_000;

function routesOf(doc: { paths: Record<string, Record<string, { requestBody?: unknown }>> }): Route[] {
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const m = method.toUpperCase();
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(m)) continue;
      const content = (op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)
        ?.content;
      routes.push({ method: m as Method, path, jsonBody: content?.['application/json']?.schema });
    }
  }
  return routes;
}

/** A body of the documented shape, so that mutations reach past the first schema check. */
function sample(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return 'x';
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const alt = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (alt) return sample(alt, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(schema.properties ?? {})) out[k] = sample(v, depth + 1);
      return out;
    }
    case 'array':
      return [sample(schema.items, depth + 1)];
    case 'integer':
    case 'number':
      return schema.minimum !== undefined && schema.minimum > 1 ? schema.minimum : 1;
    case 'boolean':
      return true;
    default:
      if (schema.format === 'date') return '2026-12-01';
      if (schema.format === 'date-time') return '2026-12-01T00:00:00Z';
      if (schema.format === 'email') return 'a@example.com';
      if (schema.format === 'uri') return 'https://example.com/x';
      return 'x';
  }
}

/** Replaces every leaf of `value` by `leaf(original)`. */
function mapLeaves(value: unknown, leaf: (v: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => mapLeaves(v, leaf));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapLeaves(v, leaf)]));
  }
  return leaf(value);
}

const HUGE = '__HUGE__';
/** Body mutations of the documented shape: raw JSON text, because `1e400` has no JS literal. */
function mutations(route: Route): Array<{ name: string; body: string }> {
  const base = sample(route.jsonBody ?? { type: 'object', properties: {} });
  const json = (v: unknown) => JSON.stringify(v);
  const numbers = (text: string) =>
    json(mapLeaves(base, (v) => (typeof v === 'number' ? HUGE : v))).replaceAll(`"${HUGE}"`, text);
  return [
    { name: 'numbers 1e400', body: numbers('1e400') },
    { name: 'numbers 2^70', body: numbers('1180591620717411303424') },
    { name: 'numbers -2^63-1', body: numbers('-9223372036854775809') },
    { name: 'numbers 0.5', body: numbers('0.5') },
    {
      name: 'strings with NUL',
      body: json(mapLeaves(base, (v) => (typeof v === 'string' ? `a\u0000b` : v))),
    },
    {
      name: 'strings path traversal',
      body: json(mapLeaves(base, (v) => (typeof v === 'string' ? '../../../../etc/passwd' : v))),
    },
    {
      name: 'strings 200 kB',
      body: json(mapLeaves(base, (v) => (typeof v === 'string' ? 'ệ'.repeat(70_000) : v))),
    },
    {
      name: 'lone surrogates',
      body: json(mapLeaves(base, (v) => (typeof v === 'string' ? '\ud800x\udfff' : v))),
    },
    {
      name: 'types swapped',
      body: json(mapLeaves(base, (v) => (typeof v === 'string' ? { $gt: '' } : 'x'))),
    },
    { name: 'nulls', body: json(mapLeaves(base, () => null)) },
    { name: 'array body', body: json([base]) },
    { name: 'string body', body: json('x') },
    { name: 'number body', body: '1e400' },
    { name: 'null body', body: 'null' },
  ];
}

/** A PNG whose header claims 60000×60000 pixels (a decompression bomb, caught from the header). */
function pngBomb(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(60_000, 0);
  ihdr.writeUInt32BE(60_000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 << 20))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG that starts right (SOI, APP1 "Exif" of 60 kB of junk) and stops mid-stream. */
function truncatedJpegWithHugeExif(): Buffer {
  const exif = Buffer.concat([Buffer.from('Exif\0\0II*\0'), randomBytes(60_000)]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(exif.length + 2);
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe1]), len, exif, Buffer.from([0xff, 0xdb, 0x00])]);
}

const FILE_FIELDS = ['file', 'image_a', 'image_b', 'frames'];
function multipart(
  boundary: string,
  parts: Array<{ name: string; filename?: string; data: Buffer | string }>,
) {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    const type = p.filename ? 'Content-Type: image/jpeg\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\n${type}\r\n`));
    chunks.push(Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

interface Case {
  name: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** Transport-level cases that do not depend on the route's schema. */
function transportCases(bodyLimit: number): Case[] {
  const b = 'hostileBoundary42';
  const mp = `multipart/form-data; boundary=${b}`;
  const file = (data: Buffer) => FILE_FIELDS.map((name) => ({ name, filename: 'a.jpg', data }));
  const full = multipart(b, file(truncatedJpegWithHugeExif()));
  const deep = 20_000;
  return [
    { name: 'malformed JSON', headers: { 'content-type': 'application/json' }, body: '{"a": [1, 2' },
    { name: 'empty JSON', headers: { 'content-type': 'application/json' }, body: '' },
    {
      name: 'JSON with BOM and trailing junk',
      headers: { 'content-type': 'application/json' },
      body: '\ufeff{}}}',
    },
    { name: 'text/plain', headers: { 'content-type': 'text/plain' }, body: 'hello' },
    { name: 'xml', headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0"?><a/>' },
    {
      name: 'form-urlencoded',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&a=2',
    },
    { name: 'invalid content-type', headers: { 'content-type': ';;;/' }, body: '{}' },
    {
      name: 'json with bad charset',
      headers: { 'content-type': 'application/json; charset=utf-7' },
      body: '{}',
    },
    {
      name: 'oversized JSON',
      headers: { 'content-type': 'application/json' },
      body: `{"x":"${'a'.repeat(bodyLimit + 1)}"}`,
    },
    {
      name: 'deeply nested arrays',
      headers: { 'content-type': 'application/json' },
      body: `${'['.repeat(deep)}${']'.repeat(deep)}`,
    },
    {
      name: 'deeply nested objects',
      headers: { 'content-type': 'application/json' },
      body: `${'{"a":'.repeat(deep)}1${'}'.repeat(deep)}`,
    },
    {
      name: 'prototype pollution',
      headers: { 'content-type': 'application/json' },
      body: '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    },
    { name: 'multipart without boundary', headers: { 'content-type': 'multipart/form-data' }, body: full },
    { name: 'truncated multipart', headers: { 'content-type': mp }, body: full.subarray(0, full.length / 2) },
    { name: 'garbage multipart', headers: { 'content-type': mp }, body: randomBytes(4096) },
    {
      name: 'multipart with thousands of parts',
      headers: { 'content-type': mp },
      body: multipart(
        b,
        Array.from({ length: 3000 }, (_, i) => ({ name: `f${i}`, data: 'x' })),
      ),
    },
    {
      name: 'multipart wrong magic bytes',
      headers: { 'content-type': mp },
      body: multipart(b, file(randomBytes(2048))),
    },
    { name: 'multipart truncated JPEG, huge EXIF', headers: { 'content-type': mp }, body: full },
    { name: 'multipart PNG bomb', headers: { 'content-type': mp }, body: multipart(b, file(pngBomb())) },
    {
      name: 'multipart path traversal filename',
      headers: { 'content-type': mp },
      body: multipart(
        b,
        FILE_FIELDS.map((name) => ({
          name,
          filename: '../../../etc/passwd\u0000.jpg',
          data: randomBytes(64),
        })),
      ),
    },
  ];
}

const HOSTILE_IDS = [
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '..',
  'a%00b',
  "1'%20OR%20'1'%3D'1",
  '%F0%9F%92%A9',
  '-1',
  '99999999999999999999999999',
];

/** Refused by the router itself, before any hook: answered through Fastify's `frameworkErrors`. */
const ROUTER_REFUSED_IDS = ['%E0%A4%A', 'x'.repeat(300)];

/**
 * Routes that read an upload (multipart or raw) without documenting a JSON body. Other routes without
 * a documented body ignore one, so accepting a junk body there is harmless (but never a 5xx).
 */
const READS_UPLOAD =
  /documents\/(front|back)$|selfie$|faces\/compare$|challenges\/\{id\}\/verify$|documents\/read$|signed-file$|attachments$|email-import$/;

const HOSTILE_QUERIES = [
  'limit=1e400&offset=-1&cursor=%00&from=zzz&to=99999-99-99',
  'limit=99999999999999999999&page=-9223372036854775809',
  'status[]=x&status[]=y&customer_id[$ne]=x',
  '__proto__[polluted]=1&constructor[prototype][polluted]=1',
  `cursor=${'A'.repeat(6000)}`,
  'from=2026-02-30&to=0000-00-00&month=2026-13&year=-1',
  'q=%00%2F..%2F..&search=%27%3B%20DROP%20TABLE%20customers%3B--',
  'a=%E0%A4%A',
];

/** Deterministic PRNG (mulberry32): a failing fuzz case can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random corruption of `data`: bit flips, a truncation, a spliced run of junk, or a length byte set to 0xff/0x84. */
function mutate(data: Uint8Array, rnd: () => number): Buffer {
  const b = Buffer.from(data);
  const at = Math.floor(rnd() * b.length);
  switch (Math.floor(rnd() * 5)) {
    case 0:
      for (let i = 0; i < 1 + rnd() * 8; i++) b[Math.floor(rnd() * b.length)]! ^= 1 << Math.floor(rnd() * 8);
      return b;
    case 1:
      return b.subarray(0, at);
    case 2:
      return Buffer.concat([
        b.subarray(0, at),
        Buffer.from(Array.from({ length: 1 + rnd() * 64 }, () => rnd() * 256)),
        b.subarray(at),
      ]);
    case 3:
      b[Math.min(at, b.length - 1)] = rnd() < 0.5 ? 0xff : 0x84;
      return b;
    default:
      return Buffer.concat([b, b]);
  }
}

function fill(path: string, ids: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? ids.default!);
}

describe('hostile input on every documented route', () => {
  let t: TestApp;
  let admin: Client;
  let apiKey: string;
  let routes: Route[];
  let ids: Record<string, string>;
  const failures: string[] = [];

  before(async () => {
    // The sweep sends a few thousand requests with one key on a fixed clock: keep the bucket out of the way.
    t = await createTestApp({ env: { EKYC_RATE_LIMIT_BURST: '1000000' } });
    admin = await t.login('admin@ekyc.local');
    apiKey = t.seed.demoApiKey!;
    routes = routesOf((await t.app.inject({ method: 'GET', url: '/openapi.json' })).json());
    const key = (
      await t.db.query<{ id: string }>(`SELECT id FROM api_keys WHERE customer_id = 'cus_demobank'`)
    )[0]!;
    // A real open session and capture token, so uploads reach the image and multipart parsers.
    const session = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { reference_id: 'hostile-1', checks: ['document'] },
    });
    assert.equal(session.statusCode, 201, session.body);
    const { id: sessionId, capture_url: captureUrl } = session.json() as { id: string; capture_url: string };
    // DELETE erases the session: run those last.
    routes.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    ids = {
      id: sessionId,
      token: captureUrl.split('/').pop()!,
      customerId: 'cus_demobank',
      contractId: 'ctr_demobank',
      keyId: key.id,
      unitId: 'unt_ttcntt',
      day: '2026-12-01',
      default: 'ses_0000000000000000',
    };
  });
  after(() => t?.close());

  /** Sends one request as the route's natural caller and records what went wrong, if anything. */
  async function probe(label: string, r: Route, opts: InjectOptions, allow2xx = false) {
    const auth = r.path.startsWith('/v1/') ? { authorization: `Bearer ${apiKey}` } : {};
    const started = performance.now();
    let res: LightMyRequestResponse;
    try {
      res = await (r.path.startsWith('/api/') ? admin.request : t.app.inject)({
        ...opts,
        headers: { ...auth, ...(opts.headers as Record<string, string>) },
      });
    } catch (err) {
      failures.push(`${label}: threw ${(err as Error).name}`);
      return;
    }
    const ms = performance.now() - started;
    if (ms > TIME_BOUND_MS) failures.push(`${label}: took ${Math.round(ms)} ms`);
    if (res.statusCode >= 500) {
      failures.push(`${label}: ${res.statusCode} ${res.body.slice(0, 160)}`);
      return;
    }
    if (res.statusCode < 400) {
      if (!allow2xx) failures.push(`${label}: accepted with ${res.statusCode}`);
      return;
    }
    const type = String(res.headers['content-type'] ?? '');
    let code: unknown;
    try {
      code = res.json().code;
    } catch {
      code = undefined;
    }
    if (
      !type.startsWith('application/problem+json') ||
      typeof code !== 'string' ||
      !/^ERR_[A-Z0-9_]+$/.test(code)
    ) {
      failures.push(`${label}: ${res.statusCode} without a problem code (${type}) ${res.body.slice(0, 120)}`);
    }
  }

  const report = (what: string, from: number) => {
    const mine = failures.slice(from);
    assert.deepEqual(mine, [], `${what}: ${mine.length} bad answers\n${mine.slice(0, 60).join('\n')}`);
  };

  test('the route list covers the API', () => {
    assert.ok(routes.length >= 20, `only ${routes.length} routes documented`);
  });

  test('broken transports (JSON, content types, multipart, sizes, nesting) get a 4xx problem', async () => {
    const from = failures.length;
    const cases = transportCases(t.ctx.config.bodyLimitBytes);
    for (const r of routes) {
      if (r.method === 'GET') continue;
      for (const c of cases) {
        const ignoresBody = !r.jsonBody && !READS_UPLOAD.test(r.path);
        await probe(
          `${r.method} ${r.path} [${c.name}]`,
          r,
          { method: r.method, url: fill(r.path, ids), headers: c.headers, payload: c.body },
          ignoresBody,
        );
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    report('transport', from);
  });

  test('documented bodies with hostile values (huge numbers, NUL, traversal, wrong types) get a 4xx problem', async () => {
    const from = failures.length;
    for (const r of routes) {
      if (r.method === 'GET' || !r.jsonBody) continue;
      for (const m of mutations(r)) {
        // A hostile value may be a valid one for a lenient field (a long note, a 0.5 ratio): then
        // the route may accept it, but never with a 5xx.
        await probe(
          `${r.method} ${r.path} [${m.name}]`,
          r,
          {
            method: r.method,
            url: fill(r.path, ids),
            headers: { 'content-type': 'application/json' },
            payload: m.body,
          },
          true,
        );
      }
    }
    report('values', from);
  });

  test('hostile ids in the path (traversal, NUL, bad escapes, overlong) get a 4xx problem', async () => {
    const from = failures.length;
    for (const r of routes) {
      const names = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      if (names.length === 0) continue;
      for (const bad of HOSTILE_IDS) {
        for (const name of names) {
          await probe(`${r.method} ${r.path} [${name}=${bad.slice(0, 20)}]`, r, {
            method: r.method,
            url: fill(r.path, { ...ids, [name]: bad }),
            ...(r.method === 'GET' || r.method === 'DELETE'
              ? {}
              : {
                  headers: { 'content-type': 'application/json' },
                  payload: JSON.stringify(sample(r.jsonBody)),
                }),
          });
        }
      }
    }
    report('ids', from);
  });

  test('URLs the router refuses (bad escapes, overlong ids) get a 4xx problem', async () => {
    const from = failures.length;
    for (const r of routes) {
      if (!r.path.includes('{')) continue;
      for (const bad of ROUTER_REFUSED_IDS) {
        await probe(`${r.method} ${r.path} [${bad.slice(0, 12)}]`, r, {
          method: r.method,
          url: r.path.replace(/\{\w+\}/, bad).replace(/\{(\w+)\}/g, (_, n: string) => ids[n] ?? ids.default!),
        });
      }
    }
    report('router', from);
  });

  test('frameworkErrors turns router refusals into problems', async () => {
    const app = Fastify({ frameworkErrors, routerOptions: { maxParamLength: 20 } });
    registerProblemHandlers(app);
    app.get('/x/:id', async () => ({ ok: true }));
    for (const url of ['/x/%E0%A4%A', `/x/${'y'.repeat(50)}`]) {
      const res = await app.inject({ method: 'GET', url });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url} → ${res.statusCode}`);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.match(res.json().code, /^ERR_/);
    }
    await app.close();
  });

  test('junk query strings never cause a 5xx', async () => {
    const from = failures.length;
    for (const r of routes) {
      if (r.method !== 'GET') continue;
      for (const q of HOSTILE_QUERIES) {
        await probe(
          `GET ${r.path}?${q.slice(0, 30)}`,
          r,
          { method: 'GET', url: `${fill(r.path, ids)}?${q}` },
          true,
        );
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    report('queries', from);
  });

  test('chip files (ASN.1/TLV of SOD, COM, DG1, DG2, DG13) fuzzed 120 ways: a result or a 4xx, never a 5xx', async () => {
    const from = failures.length;
    const chip = makeChip(makePki({ cscaAlg: 'ec-p256', dsAlg: 'ec-p256' }));
    const files: Record<string, Uint8Array> = {
      sod: chip.sod,
      com: chip.com,
      dg1: chip.dgs.get(1)!,
      dg2: chip.dgs.get(2)!,
      dg13: chip.dgs.get(13)!,
    };
    const rnd = prng(11);
    const route = routes.find((r) => r.path === '/v1/chip/verify')!;
    for (let i = 0; i < 120; i++) {
      const target = Object.keys(files)[i % 5]!;
      const body = Object.fromEntries(
        Object.entries(files).map(([k, v]) => [k, b64(k === target ? mutate(v, rnd) : v)]),
      );
      await probe(
        `chip fuzz #${i} (${target})`,
        route,
        {
          method: 'POST',
          url: '/v1/chip/verify',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        },
        true,
      );
    }
    report('chip fuzz', from);
  });

  test('MRZ and CCCD QR parsers fuzzed 3000 ways: a result or a coded error, within the time bound', () => {
    const rnd = prng(7);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<<<<<<|\n Đ\u0000ệ';
    const junk = (n: number) =>
      Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    const mrz =
      'IDVNM0990123455001099012345<<<\n9903155F3903155VNM<<<<<<<<<<<6\nNGUYEN<<THI<THU<HUONG<<<<<<<<';
    const qr =
      '001099012345|012345678|Nguyễn Thị Thu Hương|15031999|Nữ|Số 12 Ngõ 34 Phố Huế, Hà Nội|10082024';
    const bad: string[] = [];
    const started = performance.now();
    for (let i = 0; i < 1500; i++) {
      const m = i % 2 ? junk(Math.floor(rnd() * 200)) : mutate(Buffer.from(mrz), rnd).toString('latin1');
      const q = i % 2 ? junk(Math.floor(rnd() * 300)) : mutate(Buffer.from(qr), rnd).toString('utf8');
      for (const [name, fn] of [
        ['mrz', () => readMrzText(m, new Date('2026-11-24T00:00:00Z'))],
        ['qr strict', () => parseCccdQr(q, 'strict')],
        ['qr lenient', () => parseCccdQr(q, 'lenient')],
      ] as const) {
        try {
          fn();
        } catch (err) {
          if (!(err instanceof AppError))
            bad.push(`${name} #${i}: ${(err as Error).name}: ${(err as Error).message.slice(0, 80)}`);
        }
      }
    }
    assert.deepEqual(bad.slice(0, 20), []);
    assert.ok(performance.now() - started < TIME_BOUND_MS * 2, 'parsers too slow on junk');
  });

  test('the process is healthy afterwards: liveness, a login and an API call still work', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
    const me = await t.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    assert.equal(me.statusCode, 200, me.body);
    const again = await t.login('admin@ekyc.local');
    assert.equal((await again.request({ method: 'GET', url: '/api/auth/me' })).statusCode, 200);
    assert.ok(process.memoryUsage().rss < 3 * 1024 ** 3, 'memory stayed bounded');
  });
});
