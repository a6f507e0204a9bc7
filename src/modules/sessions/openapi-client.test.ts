import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import openapiTS from 'openapi-typescript';
import { createTestApp, type TestApp } from '../../../test/app.ts';

/**
 * `/openapi.json` is consumable by real tooling: openapi-typescript generates the client types and
 * `tsc` type-checks a small bank integration against them (and refuses a wrong one).
 */
const TSC = path.resolve(import.meta.dirname, '../../../node_modules/typescript/bin/tsc');

const SAMPLE = `import type { components, paths } from './api.ts';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type CreateBody = Json<paths['/v1/sessions']['post']['requestBody']>;
type Created = Json<paths['/v1/sessions']['post']['responses'][201]>;
type Session = Json<paths['/v1/sessions/{id}']['get']['responses'][200]>;
type ProblemJson<T> = T extends { content: { 'application/problem+json': infer B } } ? B : never;
type Problem = ProblemJson<paths['/v1/sessions/{id}']['get']['responses'][404]>;
type Challenge = Json<paths['/v1/sessions/{id}/liveness']['post']['responses'][201]>;

export async function verify(base: string, key: string, fetcher: typeof fetch): Promise<string> {
  const body: CreateBody = { reference_id: 'loan-42', checks: ['document', 'face', 'liveness'], locale: 'vi' };
  const headers = { authorization: \`Bearer \${key}\`, 'content-type': 'application/json', 'idempotency-key': 'k-42' };
  const res = await fetcher(\`\${base}/v1/sessions\`, { method: 'POST', headers, body: JSON.stringify(body) });
  const created = (await res.json()) as Created;
  const id: string | undefined = created.id;
  const url: string | undefined = created.capture_url;
  const ch = (await (await fetcher(\`\${base}/v1/sessions/\${id}/liveness\`, { method: 'POST', headers })).json()) as Challenge;
  const actions: Array<'turn_left' | 'turn_right' | 'look_up' | 'blink' | 'move_closer'> | undefined = ch.actions;
  const got = await fetcher(\`\${base}/v1/sessions/\${id}\`, { headers });
  if (got.status === 404) {
    const p = (await got.json()) as Problem;
    return \`\${p.code ?? ''} \${p.title ?? ''}\`;
  }
  const s = (await got.json()) as Session;
  const status: 'created' | 'collecting' | 'processing' | 'approved' | 'declined' | 'review' | 'resubmission_requested' | 'expired' | 'abandoned' | undefined = s.status;
  const codes: string[] | undefined = s.reason_codes;
  const evidence = (s.evidence ?? []).map((e) => \`\${e.field}:\${e.source}\`);
  void (url satisfies string | undefined);
  void (actions satisfies unknown);
  void ({} as components);
  return [status, ...(codes ?? []), ...evidence].join(',');
}
`;

const WRONG = `import type { paths } from './api.ts';
type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type CreateBody = Json<paths['/v1/sessions']['post']['requestBody']>;
export const body: CreateBody = { reference_id: 'x', checks: ['palm'] };
`;

describe('the OpenAPI document with openapi-typescript', () => {
  let t: TestApp;
  let dir: string;
  before(async () => {
    t = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), 'ekyc-openapi-'));
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    await writeFile(path.join(dir, 'openapi.json'), JSON.stringify(spec));
    await writeFile(path.join(dir, 'api.ts'), await openapiTS(spec));
    await writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          allowImportingTsExtensions: true,
          lib: ['es2022', 'dom'],
          skipLibCheck: true,
          types: [],
        },
      }),
    );
  });
  after(async () => {
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const tsc = (file: string) => {
    const r = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env },
      timeout: 120_000,
    });
    return { code: r.status, out: `${r.stdout}${r.stderr}`, file };
  };

  test('the generated client types the sessions API and a sample integration type-checks', async () => {
    await writeFile(path.join(dir, 'sample.ts'), SAMPLE);
    await rm(path.join(dir, 'wrong.ts'), { force: true });
    const r = tsc('sample.ts');
    assert.equal(r.code, 0, r.out);
  });

  test('an integration asking for a check the API does not have does not type-check', async () => {
    await writeFile(path.join(dir, 'wrong.ts'), WRONG);
    await rm(path.join(dir, 'sample.ts'), { force: true });
    const r = tsc('wrong.ts');
    assert.notEqual(r.code, 0);
    assert.match(r.out, /wrong\.ts.*palm|"palm"/s);
  });
});
