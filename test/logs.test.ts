/**
 * No personal data or credentials in the logs. A child process runs the real service logger
 * (`createLogger`, writing to stdout as in production, at debug level) through flows that handle
 * personal data — logins (right and wrong), API keys (valid and not), a chip verify with the
 * Vietnamese test chip, a face compare, a verification session with a declared ID number,
 * data-subject export, and requests that fail validation — and this test reads everything the
 * process printed and looks for names, ID numbers, addresses, passwords, keys and base64 images.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { b64, CITIZEN, makeChip, makePki } from './fixtures/chip/vn-chip.ts';

const FLOW = 'EKYC_LOGS_FLOW';
const API_KEY = `mfk_${randomBytes(24).toString('base64url')}`;
const WRONG_KEY = `mfk_${randomBytes(24).toString('base64url')}`;
const PASSWORD = 'Demo@2026';
const WRONG_PASSWORD = 'Sai-Mat-Khau-2026!';
const STRANGER = 'tran.thi.bich@vietcombank.vn';
const DECLARED_ID = '079190001234';

if (process.env[FLOW] === '1') {
  await runFlow();
} else {
  test('logs of flows handling personal data carry no names, ID numbers, passwords, keys or images', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [import.meta.filename], {
      env: {
        ...process.env,
        [FLOW]: '1',
        [`${FLOW}_KEY`]: API_KEY,
        [`${FLOW}_WRONG_KEY`]: WRONG_KEY,
        NODE_TEST_CONTEXT: '',
      },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
    const out = `${stdout}\n${stderr}`;
    // The capture works: the flow ran to its end and the request lines are there.
    assert.match(out, /flow done/);
    const requestLines = out.split('\n').filter((l) => l.includes('"msg":"request"'));
    assert.ok(requestLines.length >= 10, `only ${requestLines.length} request lines captured`);
    const statuses = JSON.parse(/flow statuses (\{.*\})/.exec(out)?.[1] ?? '{}') as Record<string, number>;
    assert.equal(statuses.chip, 200, 'the chip verify ran');
    assert.equal(statuses.login, 200, 'the login ran');
    assert.equal(statuses.session, 201, 'the session was created');
    assert.equal(statuses.faces, 200, 'the face compare ran');

    const secrets: Record<string, string> = {
      password: PASSWORD,
      'wrong password': WRONG_PASSWORD,
      'API key': API_KEY,
      'API key secret part': API_KEY.slice(12),
      'wrong API key': WRONG_KEY.slice(12),
      'unknown login email': STRANGER,
      'full name': CITIZEN.full_name,
      'MRZ name': `${CITIZEN.mrz_surname}<<${CITIZEN.mrz_given.replace(/ /g, '<')}`,
      'given names': CITIZEN.mrz_given,
      'ID number': CITIZEN.id_number,
      'old ID number': CITIZEN.old_id_number,
      'declared ID number': DECLARED_ID,
      'place of residence': CITIZEN.place_of_residence,
      'father name': CITIZEN.father_name,
      'mother name': CITIZEN.mother_name,
      'date of birth': CITIZEN.date_of_birth,
    };
    for (const [what, value] of Object.entries(secrets)) {
      assert.ok(!out.includes(value), `the logs contain the ${what}`);
    }
    const b64Images = [...out.matchAll(/[A-Za-z0-9+/]{200,}={0,2}/g)].map((m) => m[0].slice(0, 40));
    assert.deepEqual(b64Images, [], 'the logs contain base64 blobs (images or chip files)');
    assert.ok(!/\/9j\/|iVBORw0KGgo/.test(out), 'the logs contain the start of a base64 JPEG or PNG');
  });
}

async function runFlow() {
  const { buildApp } = await import('../src/app.ts');
  const { loadConfig } = await import('../src/config.ts');
  const { openPglite } = await import('../src/db/client.ts');
  const { migrate } = await import('../src/db/migrate.ts');
  const { seed } = await import('../src/db/seed.ts');
  const { createLogger } = await import('../src/logger.ts');
  const { systemClock } = await import('../src/lib/clock.ts');
  const { faceFile, multipart } = await import('./fixtures/faces/data.ts');
  const key = process.env[`${FLOW}_KEY`]!;
  const wrongKey = process.env[`${FLOW}_WRONG_KEY`]!;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    EKYC_DEMO_DATA: 'true',
    EKYC_DEMO_API_KEY: key,
    EKYC_DEMO_PASSWORD: PASSWORD,
    DATA_DIR: `${process.env.TMPDIR ?? '/tmp'}/ekyc-logs-${process.pid}`,
  });
  const logger = createLogger(config);
  const db = await openPglite();
  await migrate(db);
  await seed(db, config, systemClock);
  const { app } = await buildApp({ config, db, logger });
  await app.ready();
  const statuses: Record<string, number> = {};
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
  const json = (
    method: 'POST' | 'PUT',
    url: string,
    payload: unknown,
    headers: Record<string, string> = {},
  ) => app.inject({ method, url, payload: payload as object, headers });

  await json('POST', '/api/auth/login', { email: 'admin@ekyc.local', password: WRONG_PASSWORD });
  await json('POST', '/api/auth/login', { email: STRANGER, password: WRONG_PASSWORD });
  await json('POST', '/api/auth/login', { email: STRANGER, password: 12345 }); // validation error
  statuses.login = (
    await json('POST', '/api/auth/login', { email: 'admin@ekyc.local', password: PASSWORD })
  ).statusCode;
  await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(key) });
  await app.inject({ method: 'GET', url: '/v1/me', headers: bearer(wrongKey) });
  await app.inject({ method: 'GET', url: `/v1/me?api_key=${wrongKey}&cccd=${DECLARED_ID}` });

  const chip = makeChip(makePki({ cscaAlg: 'ec-p256', dsAlg: 'ec-p256' }));
  const chipBody = {
    sod: b64(chip.sod),
    com: b64(chip.com),
    dg1: b64(chip.dgs.get(1)!),
    dg2: b64(chip.dgs.get(2)!),
    dg13: b64(chip.dgs.get(13)!),
  };
  statuses.chip = (await json('POST', '/v1/chip/verify', chipBody, bearer(key))).statusCode;
  const broken = Buffer.from(chip.dgs.get(13)!);
  broken[broken.length - 3]! ^= 0xff;
  await json('POST', '/v1/chip/verify', { ...chipBody, dg13: b64(broken) }, bearer(key));
  await json('POST', '/v1/chip/verify', { ...chipBody, sod: b64(chip.sod.subarray(0, 40)) }, bearer(key));

  statuses.session = (
    await json(
      'POST',
      '/v1/sessions',
      { reference_id: 'kh-001', checks: ['document'], id_number: DECLARED_ID },
      bearer(key),
    )
  ).statusCode;
  await json(
    'POST',
    '/v1/sessions',
    { reference_id: CITIZEN.full_name, checks: ['nope'], id_number: 'x' },
    bearer(key),
  );
  await json('POST', '/v1/data-subjects/export', { reference_id: 'kh-001' }, bearer(key));

  try {
    const body = multipart([
      { name: 'image_a', filename: 'a.png', type: 'image/png', data: faceFile('faceapi_bbt/amy/amy1.png') },
      { name: 'image_b', filename: 'b.png', type: 'image/png', data: faceFile('faceapi_bbt/amy/amy3.png') },
    ]);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/faces/compare',
      payload: body.payload,
      headers: { ...bearer(key), ...body.headers },
    });
    statuses.faces = res.statusCode;
  } catch (err) {
    console.error(`face compare skipped: ${(err as Error).name}`);
  }
  await app.close();
  await db.close();
  console.log(`flow statuses ${JSON.stringify(statuses)}`);
  console.log('flow done');
}
