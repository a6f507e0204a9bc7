import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import {
  dmy,
  type Person,
  photograph,
  randomPerson,
  renderCard,
} from '../../../test/fixtures/cards/render.ts';
import { b64, CITIZEN, type Citizen, makeChip, makePki } from '../../../test/fixtures/chip/vn-chip.ts';
import { faceFile, multipart } from '../../../test/fixtures/faces/data.ts';
import { type Head, makeHead, sequence } from '../../../test/fixtures/faces/render.ts';
import { mrzName } from '../../ekyc/chip/verify.ts';
import { loadFaceModels } from '../../ekyc/face/models.ts';
import type { Action, Frame } from '../../ekyc/liveness/engine.ts';
import { publicApiOf } from './sessions.routes.ts';
import { multipartFile } from './test-helpers.ts';

/**
 * Full sessions through HTTP: a synthetic chip CCCD (front + back photographed), a selfie of the
 * card holder and a liveness sequence of a generated 3-D head of the same person. Models load once.
 */
let t: TestApp;
let auth: Record<string, string>;
let person: Person;
let front: Buffer;
let back: Buffer;
let holder: Head;
let other: Head;
const HOLDER_SELFIE = faceFile('face_recognition_examples/knn_examples/train/obama/obama2.jpg');
const OTHER_SELFIE = faceFile('faceapi_bbt/sheldon/sheldon1.png');

before(async () => {
  const models = await loadFaceModels();
  t = await createTestApp();
  auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  // Seed 199's card portrait is obama.jpg: the selfie is another photo of him.
  person = randomPerson(199, 'cccd_chip');
  assert.match(person.face, /obama\/obama\.jpg$/, 'the fixture person changed: pick the matching selfie');
  front = (await photograph(await renderCard(person, 'cccd_chip', 'front'), 'moderate', 1)).image;
  back = (await photograph(await renderCard(person, 'cccd_chip', 'back'), 'moderate', 2)).image;
  holder = await makeHead(models, faceFile('face_recognition_examples/knn_examples/train/obama/obama.jpg'));
  other = await makeHead(models, faceFile('face_recognition_examples/knn_examples/train/biden/biden.jpg'));
});
after(async () => {
  await t?.close();
});

const create = (body: object) =>
  t.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: body });
async function upload(id: string, path: string, file: Buffer) {
  const m = multipartFile(file);
  const res = await t.app.inject({
    method: 'PUT',
    url: `/v1/sessions/${id}/${path}`,
    headers: { ...auth, 'content-type': m.contentType },
    payload: m.payload,
  });
  assert.equal(res.statusCode, 200, res.body);
}
/**
 * Issues the session's challenge through HTTP, then pins its (random) actions to head turns: the
 * generated head's blink is not reliably seen by the engine, and a test must not depend on the draw.
 */
async function challenge(id: string, actions: Action[] = ['turn_left', 'look_up']) {
  const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${id}/liveness`, headers: auth });
  if (res.statusCode === 201) {
    await t.db.query('UPDATE liveness_challenges SET actions = $2::jsonb WHERE id = $1', [
      res.json().id,
      JSON.stringify(actions),
    ]);
  }
  return { statusCode: res.statusCode, body: res.body, json: () => ({ ...res.json(), actions }) };
}
function sendFrames(id: string, challengeId: string, frames: Frame[]) {
  const body = multipart([
    { name: 'challenge_id', data: challengeId },
    ...frames.map((f, i) => ({ name: 'frames', filename: `f${i}.jpg`, type: 'image/jpeg', data: f.image })),
    { name: 'timestamps', data: JSON.stringify(frames.map((f) => f.t)) },
  ]);
  return t.app.inject({
    method: 'POST',
    url: `/v1/sessions/${id}/liveness`,
    headers: { ...auth, ...body.headers },
    payload: body.payload,
  });
}
async function submitAndGet(id: string) {
  const sub = await t.app.inject({ method: 'POST', url: `/v1/sessions/${id}/submit`, headers: auth });
  assert.equal(sub.statusCode, 202, sub.body);
  await publicApiOf(t.ctx).sessions.process(id);
  const got = await t.app.inject({ method: 'GET', url: `/v1/sessions/${id}`, headers: auth });
  assert.equal(got.statusCode, 200);
  return got.json();
}
async function usage(kind: string) {
  const [r] = await t.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM usage_events WHERE customer_id = $1 AND kind = $2',
    [t.seed.demoCustomerId, kind],
  );
  return r!.n;
}
const sourceOf = (s: { evidence: Array<{ field: string; source: string }> }, field: string) =>
  s.evidence.find((e) => e.field === field)?.source;

describe('a full verification session (document front+back, selfie, liveness)', () => {
  test('the card holder, live, is approved with the card fields, their sources and one event per check', async () => {
    const kinds = ['document_read', 'face_match', 'liveness'];
    const before = await Promise.all(kinds.map(usage));
    const created = await create({ reference_id: 'full-1', checks: ['document', 'face', 'liveness'] });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    await upload(id, 'documents/front', front);
    await upload(id, 'documents/back', back);
    await upload(id, 'selfie', HOLDER_SELFIE);

    // Submitting before the liveness frames: the session is not complete.
    const c = await challenge(id);
    assert.equal(c.statusCode, 201, c.body);
    const early = await t.app.inject({ method: 'POST', url: `/v1/sessions/${id}/submit`, headers: auth });
    assert.equal(early.json().code, 'ERR_SESSION_INCOMPLETE');

    const actions = c.json().actions as Action[];
    const v = await sendFrames(id, c.json().id, await sequence(holder, actions, '3d'));
    assert.equal(v.statusCode, 200, v.body);
    assert.equal(v.json().liveness.live, true, JSON.stringify(v.json().liveness.checks));
    assert.deepEqual(v.json().liveness.passive_warnings, []);

    const s = await submitAndGet(id);
    assert.equal(s.status, 'approved', JSON.stringify(s.decision));
    assert.equal(s.extracted.id_number, person.id_number);
    assert.equal(s.extracted.date_of_birth, person.date_of_birth);
    assert.equal(s.extracted.full_name, person.full_name);
    assert.match(sourceOf(s, 'id_number') ?? '', /^document\.(?=.*qr)(?=.*mrz)/);
    assert.equal(s.scores.document.type, 'cccd_chip');
    assert.equal(s.scores.face.reference, 'document.portrait');
    assert.ok(s.scores.face.similarity >= 0.5);
    assert.equal(s.scores.liveness.live, true);
    assert.ok(s.scores.liveness.selfie_similarity >= 0.5, 'the live face is the selfie face');
    assert.deepEqual(s.scores.liveness.passive_warnings, []);

    // The case view outlines the fields where the reader found them: boxes kept with the stored
    // result, in the stored image's pixels, inside the card the reader found on that side.
    const reviewer = await t.login('admin@demobank.vn');
    const view = (await reviewer.request({ method: 'GET', url: `/api/verification-sessions/${id}` })).json();
    const sizes = { front: await sharp(front).metadata(), back: await sharp(back).metadata() };
    const { fields, corners } = view.regions as {
      fields: Record<string, { side: 'front' | 'back'; box: number[] }>;
      corners: Record<'front' | 'back', number[][]>;
    };
    assert.equal(fields.id_number?.side, 'front');
    assert.equal(fields.full_name?.side, 'front');
    assert.ok(
      Object.values(fields).some((f) => f.side === 'back'),
      'back-side fields are outlined too',
    );
    for (const [name, { side, box }] of Object.entries(fields)) {
      const [x, y, w, h] = box as [number, number, number, number];
      const xs = corners[side].map((p) => p[0]!);
      const ys = corners[side].map((p) => p[1]!);
      const slack = 10;
      assert.ok(w > 0 && h > 0 && x >= 0 && y >= 0, name);
      assert.ok(x + w <= sizes[side].width! && y + h <= sizes[side].height!, `${name} inside the image`);
      assert.ok(x >= Math.min(...xs) - slack && x + w <= Math.max(...xs) + slack, `${name} inside the card`);
      assert.ok(y >= Math.min(...ys) - slack && y + h <= Math.max(...ys) + slack, `${name} inside the card`);
    }
    // The liveness strip: the challenge's actions with whether and when each was seen.
    assert.deepEqual(
      view.scores.liveness.actions.map((a: { action: string; done: boolean }) => [a.action, a.done]),
      actions.map((a) => [a, true]),
    );
    assert.ok(view.images.some((i: { kind: string }) => i.kind === 'liveness_frame'));
    // …and the frame at each action seen, kept sealed and streamed one by one.
    assert.deepEqual(
      view.liveness_frames.map((f: { action: string }) => f.action),
      actions,
    );
    const [firstAt, secondAt] = view.liveness_frames.map((f: { at_ms: number }) => f.at_ms);
    assert.ok(secondAt > firstAt, 'in the order seen');
    for (const f of view.liveness_frames as Array<{ url: string }>) {
      const shot = await reviewer.request({ method: 'GET', url: f.url });
      assert.equal(shot.statusCode, 200, shot.body);
      assert.equal(shot.headers['content-type'], 'image/jpeg');
      assert.equal(shot.headers['cache-control'], 'no-store');
    }
    const frameUrl = (n: number) => `/api/verification-sessions/${id}/liveness-frames/${n}`;
    const missing = await reviewer.request({ method: 'GET', url: frameUrl(actions.length) });
    assert.equal(missing.json().code, 'ERR_SESSION_IMAGE_NOT_FOUND');
    const stranger = await t.login('agent1@ekyc.local');
    assert.equal((await stranger.request({ method: 'GET', url: frameUrl(0) })).statusCode, 403);
    // Kept from the liveness upload, not uploaded by the client: the public view does not list it.
    assert.ok(!s.uploads.some((u: { slot: string }) => u.slot === 'liveness_frames'));
    const after = await Promise.all(kinds.map(usage));
    assert.deepEqual(
      after.map((n, i) => n - before[i]!),
      [1, 1, 1],
    );
  });

  test('another person taking the selfie is declined for FACE_MISMATCH', async () => {
    const id = (await create({ reference_id: 'full-2', checks: ['document', 'face'] })).json().id;
    await upload(id, 'documents/front', front);
    await upload(id, 'documents/back', back);
    await upload(id, 'selfie', OTHER_SELFIE);
    const s = await submitAndGet(id);
    assert.equal(s.status, 'declined');
    assert.ok(s.reason_codes.includes('FACE_MISMATCH'), s.reason_codes.join());
    assert.equal(s.extracted.id_number, person.id_number);
  });

  test('the same face approved under another ID number goes to review (DUPLICATE_FACE)', async () => {
    // The holder was approved above under the card's ID number; now he declares another one.
    const id = (await create({ reference_id: 'full-3', checks: ['face'], id_number: '001090000077' })).json()
      .id;
    await upload(id, 'documents/front', front);
    await upload(id, 'selfie', HOLDER_SELFIE);
    const s = await submitAndGet(id);
    assert.equal(s.status, 'review', JSON.stringify(s.decision));
    assert.ok(s.reason_codes.includes('DUPLICATE_FACE'));
  });

  test('a photo moved like a plane in front of the camera is declined for LIVENESS_FAILED', async () => {
    const id = (await create({ reference_id: 'full-4', checks: ['liveness'] })).json().id;
    const c = (await challenge(id)).json();
    const v = await sendFrames(id, c.id, await sequence(holder, c.actions, 'planar'));
    assert.equal(v.statusCode, 200, v.body);
    assert.equal(v.json().liveness.live, false);
    const s = await submitAndGet(id);
    assert.equal(s.status, 'declined');
    assert.ok(s.reason_codes.includes('LIVENESS_FAILED'));
  });

  test('frames for a stale challenge are refused; a face swapped mid-way is kept as a failed attempt', async () => {
    const id = (await create({ reference_id: 'full-5', checks: ['liveness'] })).json().id;
    const first = (await challenge(id)).json();
    const second = (await challenge(id)).json();
    const actions: Action[] = ['turn_left', 'blink'];
    const stale = await sendFrames(id, first.id, await sequence(holder, actions, '3d'));
    assert.equal(stale.statusCode, 409);
    assert.equal(stale.json().code, 'ERR_LIVENESS_CHALLENGE_MISMATCH');
    // The second challenge: the holder for the first half, then someone else.
    const a = await sequence(holder, second.actions, '3d');
    const b = await sequence(other, second.actions, '3d');
    const half = Math.floor(a.length / 2);
    const swapped = [...a.slice(0, half), ...b.slice(half)];
    const res = await sendFrames(id, second.id, swapped);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().code, 'ERR_LIVENESS_FACE_CHANGED');
    const s = await submitAndGet(id);
    assert.equal(s.status, 'declined');
    assert.ok(s.reason_codes.includes('LIVENESS_FACE_CHANGED'), s.reason_codes.join());
  });

  test("the chip's DG13 is cross-checked against the card: the same citizen passes, another fails", async () => {
    const pki = makePki({ now: t.clock.now() });
    const asCitizen = (p: Person): Citizen => ({
      ...CITIZEN,
      id_number: p.id_number,
      full_name: p.full_name,
      mrz_surname: mrzName(p.surname),
      mrz_given: mrzName(p.given_names),
      date_of_birth: dmy(p.date_of_birth),
      date_of_expiry: dmy(p.date_of_expiry),
      date_of_issue: dmy(p.date_of_issue),
      sex: p.sex === 'M' ? 'Nam' : 'Nữ',
      old_id_number: p.old_id_number ?? '',
    });
    const run = async (citizen: Citizen) => {
      const chip = makeChip(pki, {}, citizen);
      const id = (await create({ reference_id: 'chip-doc', checks: ['document', 'chip'] })).json().id;
      await upload(id, 'documents/front', front);
      await upload(id, 'documents/back', back);
      const files: Record<string, string> = { sod: b64(chip.sod), com: b64(chip.com) };
      for (const [n, dg] of chip.dgs) files[`dg${n}`] = b64(dg);
      const put = await t.app.inject({
        method: 'PUT',
        url: `/v1/sessions/${id}/chip`,
        headers: auth,
        payload: files,
      });
      assert.equal(put.statusCode, 200, put.body);
      return submitAndGet(id);
    };
    const same = await run(asCitizen(person));
    const cross = same.scores.chip.checks.find((c: { code: string }) => c.code === 'CHIP_MATCHES_DOCUMENT');
    assert.equal(cross?.status, 'pass', JSON.stringify(cross));
    assert.ok(!same.reason_codes.includes('CHIP_DOCUMENT_MISMATCH'));
    assert.equal(sourceOf(same, 'id_number'), 'chip.dg13');

    const stranger = await run(CITIZEN);
    assert.ok(stranger.reason_codes.includes('CHIP_DOCUMENT_MISMATCH'), stranger.reason_codes.join());
    assert.equal(stranger.status, 'declined');
  });
});
