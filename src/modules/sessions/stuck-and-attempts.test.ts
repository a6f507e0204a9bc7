import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp, testConfig } from '../../../test/app.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import { publicApiOf } from './sessions.routes.ts';
import { multipartFile, sharedFace } from './test-helpers.ts';

const AMY1 = sharedFace('faceapi_bbt/amy/amy1.png');
const AMY2 = sharedFace('faceapi_bbt/amy/amy2.png');
const MINUTE = 60_000;

/** A job queue that accepts jobs and never runs them: a process killed after submit, every time. */
const losingQueue: JobQueue = { send: async () => 'lost', stop: async () => {} };

describe('sessions: bounded liveness attempts, and the sweep of sessions stuck in processing', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  before(async () => {
    t = await createTestApp({
      env: { EKYC_LIVENESS_MAX_ATTEMPTS: '2', EKYC_PROCESSING_STUCK_MINUTES: '15' },
    });
    auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  });
  after(() => t.close());

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
  const create = async (checks: string[]) => {
    const res = await api('POST', '/v1/sessions', { reference_id: 'ref-stuck', checks });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };
  const upload = async (id: string, path: string, file: Buffer) => {
    const m = multipartFile(file);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${id}/${path}`,
      headers: { ...auth, 'content-type': m.contentType },
      payload: m.payload,
    });
    assert.equal(res.statusCode, 200, res.body);
  };
  /** A face session submitted while the queue loses its job. */
  const submittedAndLost = async () => {
    const id = await create(['face']);
    await upload(id, 'documents/front', AMY1);
    await upload(id, 'selfie', AMY2);
    t.ctx.queue = losingQueue;
    const sub = await api('POST', `/v1/sessions/${id}/submit`);
    assert.equal(sub.statusCode, 202, sub.body);
    assert.equal(sub.json().status, 'processing');
    return id;
  };
  const statusOf = async (id: string) => (await api('GET', `/v1/sessions/${id}`)).json();
  /** Usage events of a session, by the `session_id` column. */
  const billed = async (id: string) => {
    const [r] = await t.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM usage_events WHERE session_id = $1',
      [id],
    );
    return r!.n;
  };

  test('the default is 3 liveness attempts per session', () => {
    assert.equal(testConfig().livenessMaxAttempts, 3);
    assert.equal(testConfig({ EKYC_LIVENESS_MAX_ATTEMPTS: '5' }).livenessMaxAttempts, 5);
    assert.throws(() => testConfig({ EKYC_LIVENESS_MAX_ATTEMPTS: '0' }), /EKYC_LIVENESS_MAX_ATTEMPTS/);
  });

  test('a session is issued at most the configured number of liveness challenges', async () => {
    const id = await create(['liveness']);
    const first = await api('POST', `/v1/sessions/${id}/liveness`);
    const second = await api('POST', `/v1/sessions/${id}/liveness`);
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(second.statusCode, 201, second.body);
    assert.notEqual(first.json().id, second.json().id);
    const third = await api('POST', `/v1/sessions/${id}/liveness`);
    assert.equal(third.statusCode, 409, third.body);
    assert.equal(third.json().code, 'ERR_LIVENESS_ATTEMPTS_EXHAUSTED');
    assert.equal(third.json().max_attempts, 2);
    // The refused attempt counted nothing.
    const [row] = await t.db.query<{ attempts: number }>(
      "SELECT (meta->>'attempts')::int AS attempts FROM session_uploads WHERE session_id = $1 AND slot = 'liveness'",
      [id],
    );
    assert.equal(row!.attempts, 2);
    // Another session starts with its own attempts.
    const other = await create(['liveness']);
    assert.equal((await api('POST', `/v1/sessions/${other}/liveness`)).statusCode, 201);
  });

  test('a reviewer asking for resubmission gives the person their liveness attempts back', async () => {
    const id = await create(['liveness']);
    for (const _ of [1, 2]) assert.equal((await api('POST', `/v1/sessions/${id}/liveness`)).statusCode, 201);
    assert.equal((await api('POST', `/v1/sessions/${id}/liveness`)).statusCode, 409);
    await t.db.query(`UPDATE verification_sessions SET status = 'review' WHERE id = $1`, [id]);
    const admin = await t.login('admin@demobank.vn');
    const review = await admin.request({
      method: 'POST',
      url: `/api/verification-sessions/${id}/review`,
      payload: { decision: 'resubmission_requested', note: 'ảnh mờ / blurry frames' },
    });
    assert.equal(review.statusCode, 200, review.body);
    const answers = await Promise.all([1, 2, 3].map(() => api('POST', `/v1/sessions/${id}/liveness`)));
    assert.deepEqual(answers.map((a) => a.statusCode).sort(), [201, 201, 409]);
  });

  test('concurrent challenge requests cannot take more than the bound', async () => {
    const id = await create(['liveness']);
    const answers = await Promise.all([1, 2, 3, 4].map(() => api('POST', `/v1/sessions/${id}/liveness`)));
    assert.deepEqual(answers.map((a) => a.statusCode).sort(), [201, 201, 409, 409]);
  });

  test('a session whose job was lost is processed once more by the sweep, and decided', async () => {
    const id = await submittedAndLost();
    const sweep = () => publicApiOf(t.ctx).sessions.sweepStuck();
    t.clock.advance(10 * MINUTE);
    assert.deepEqual(await sweep(), { retried: 0, review: 0 }, 'not stuck yet');
    t.clock.advance(6 * MINUTE);
    t.ctx.queue = null; // the restarted process runs the retry in-process
    assert.deepEqual(await sweep(), { retried: 1, review: 0 });
    await publicApiOf(t.ctx).sessions.process(id);
    const s = await statusOf(id);
    assert.equal(s.status, 'approved', JSON.stringify(s.reason_codes));
    assert.equal(await billed(id), 1, 'its one check is billed once');
    const [event] = await t.db.query<{ session_id: string; kind: string }>(
      'SELECT session_id, kind FROM usage_events WHERE request_id LIKE $1',
      [`${id}.%`],
    );
    assert.deepEqual(event, { session_id: id, kind: 'face_match' });
    assert.deepEqual(await sweep(), { retried: 0, review: 0 });
  });

  test('a session still stuck after its retry goes to review with PROCESSING_STALLED, unbilled', async () => {
    const id = await submittedAndLost();
    const sweep = () => publicApiOf(t.ctx).sessions.sweepStuck();
    t.clock.advance(16 * MINUTE);
    assert.deepEqual(await sweep(), { retried: 1, review: 0 });
    assert.equal((await statusOf(id)).status, 'processing');
    t.clock.advance(10 * MINUTE);
    assert.deepEqual(await sweep(), { retried: 0, review: 0 }, 'the retry gets its own time');
    t.clock.advance(6 * MINUTE);
    assert.deepEqual(await sweep(), { retried: 0, review: 1 });
    const s = await statusOf(id);
    assert.equal(s.status, 'review');
    assert.deepEqual(s.reason_codes, ['PROCESSING_STALLED']);
    assert.ok(s.completed_at);
    assert.equal(await billed(id), 0);
    t.ctx.queue = null;
    // A reviewer decides it like any other session in review.
    const op = await t.login('operator@ekyc.local');
    const decided = await op.request({
      method: 'POST',
      url: `/api/verification-sessions/${id}/review`,
      payload: { decision: 'resubmission_requested', note: 'processing stalled' },
    });
    assert.equal(decided.statusCode, 200, decided.body);
    assert.equal(decided.json().status, 'resubmission_requested');
  });
});
