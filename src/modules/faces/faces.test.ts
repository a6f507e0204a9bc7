import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { freshDatabase, onBothEngines } from '../../../test/db.ts';
import {
  cardWithPortrait,
  faceFile,
  multipart,
  noFaceImage,
  pngHeaderOnly,
  twoFacesImage,
} from '../../../test/fixtures/faces/data.ts';
import { analyzeImage, detectFaces, FACE_DECODE } from '../../ekyc/face/engine.ts';
import { canonicalFrame } from '../../ekyc/face/geometry.ts';
import { loadFaceModels } from '../../ekyc/face/models.ts';
import { decodeImage } from '../../ekyc/image.ts';
import { fixedClock } from '../../lib/clock.ts';
import { CryptoError, createEnvelope, isSealed } from '../../lib/crypto/envelope.ts';
import { toBytes } from './faces.repo.ts';
import { createFaceTemplateService } from './faces.service.ts';

let t: TestApp;
let auth: Record<string, string>;

before(async () => {
  await loadFaceModels();
  t = await createTestApp();
  auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
});
after(async () => {
  await t?.close();
});

async function compare(a: Buffer, b: Buffer) {
  const body = multipart([
    { name: 'image_a', filename: 'a.jpg', type: 'image/jpeg', data: a },
    { name: 'image_b', filename: 'b.jpg', type: 'image/jpeg', data: b },
  ]);
  return t.app.inject({
    method: 'POST',
    url: '/v1/faces/compare',
    headers: { ...auth, ...body.headers },
    payload: body.payload,
  });
}

describe('POST /v1/faces/compare', () => {
  test('two photos of the same person match', async () => {
    const res = await compare(faceFile('faceapi_bbt/amy/amy1.png'), faceFile('faceapi_bbt/amy/amy3.png'));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.match, true);
    assert.ok(body.similarity >= body.threshold);
    assert.equal(body.far_at_threshold, 0.001);
    assert.equal(body.faces.a.box.length, 4);
    assert.ok(Array.isArray(body.faces.b.quality.issues));
  });

  test('a face that fills the whole image, cut by its border, is found and matched', async () => {
    // leonard5 is a 150 px crop from forehead to chin: the detector alone finds no face in it.
    const res = await compare(
      faceFile('faceapi_bbt/leonard/leonard1.png'),
      faceFile('faceapi_bbt/leonard/leonard5.png'),
    );
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.match, true);
    const [x, y, w, h] = body.faces.b.box as number[];
    // The box is in the image's own coordinates (the border added for the retry is taken off).
    assert.ok(x! > -40 && y! > -40 && x! + w! < 190 && y! + h! < 190, `box ${body.faces.b.box}`);
    assert.ok(w! > 90, `box ${body.faces.b.box}`);
  });

  test('photos of two different people do not match', async () => {
    const res = await compare(
      faceFile('face_recognition_examples/knn_examples/train/obama/obama.jpg'),
      faceFile('face_recognition_examples/knn_examples/train/biden/biden.jpg'),
    );
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().match, false);
    assert.ok(res.json().similarity < res.json().threshold);
  });

  test('a whole ID card is compared through its portrait, ignoring the ghost image', async () => {
    const card = await cardWithPortrait(
      faceFile('face_recognition_examples/knn_examples/train/obama/obama.jpg'),
    );
    const res = await compare(card, faceFile('face_recognition_examples/knn_examples/test/obama1.jpg'));
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.match, true);
    assert.equal(body.faces.a.used.reason, 'card_portrait');
    assert.ok(body.faces.a.box[0] < 300, 'the portrait on the left, not the ghost on the right');
  });

  test('an image without a face is refused with ERR_FACE_NOT_FOUND', async () => {
    const res = await compare(await noFaceImage(), faceFile('faceapi_bbt/amy/amy1.png'));
    assert.equal(res.statusCode, 422);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json().code, 'ERR_FACE_NOT_FOUND');
    assert.match(res.json().detail, /^image_a: /);
  });

  test('a selfie with two faces of similar size is refused as ambiguous', async () => {
    const two = await twoFacesImage(
      faceFile('faceapi_bbt/amy/amy1.png'),
      faceFile('faceapi_bbt/sheldon/sheldon1.png'),
    );
    const res = await compare(faceFile('faceapi_bbt/amy/amy2.png'), two);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.json().code, 'ERR_FACE_AMBIGUOUS');
    assert.match(res.json().detail, /^image_b: /);
  });

  test('a 1×1 image is refused as too small', async () => {
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const res = await compare(tiny, faceFile('faceapi_bbt/amy/amy1.png'));
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'ERR_IMAGE_TOO_SMALL');
  });

  test('an image claiming 20000×20000 pixels is refused before decoding', async () => {
    const res = await compare(faceFile('faceapi_bbt/amy/amy1.png'), pngHeaderOnly(20000, 20000));
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'ERR_IMAGE_TOO_LARGE');
  });

  test('a truncated JPEG is refused as corrupt', async () => {
    const jpeg = faceFile('face_recognition_examples/knn_examples/train/obama/obama.jpg');
    const res = await compare(
      jpeg.subarray(0, Math.floor(jpeg.length / 2)),
      faceFile('faceapi_bbt/amy/amy1.png'),
    );
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'ERR_IMAGE_CORRUPT');
  });

  test('a missing image part is a 400 naming the part', async () => {
    const body = multipart([
      { name: 'image_a', filename: 'a.png', data: faceFile('faceapi_bbt/amy/amy1.png') },
    ]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/faces/compare',
      headers: { ...auth, ...body.headers },
      payload: body.payload,
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'ERR_FACE_IMAGE_MISSING');
  });

  test('a JSON body is refused: images come as multipart', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/faces/compare', headers: auth, payload: {} });
    assert.equal(res.statusCode, 415);
    assert.equal(res.json().code, 'ERR_FACE_MULTIPART_REQUIRED');
  });

  test('without an API key the comparison is refused', async () => {
    const body = multipart([{ name: 'image_a', filename: 'a.png', data: Buffer.from('x') }]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/faces/compare',
      headers: body.headers,
      payload: body.payload,
    });
    assert.equal(res.statusCode, 401);
  });
});

describe('face detection', () => {
  test('the iris model runs only when a call asks for it, and the alignment frame barely moves', async () => {
    const models = await loadFaceModels();
    const img = await decodeImage(faceFile('faceapi_bbt/amy/amy1.png'), FACE_DECODE);
    // Human keeps the last call's config: on, off, on again proves each call sets its own.
    const runs = [];
    for (const iris of [true, false, true])
      runs.push((await detectFaces(models, img, { margin: 'on_miss', iris }))[0]!.mesh);
    assert.deepEqual(
      runs.map((m) => m.length),
      [478, 468, 478],
    );
    const [on, off] = [canonicalFrame(runs[0]!), canonicalFrame(runs[1]!)];
    assert.ok(Math.hypot(on.center[0] - off.center[0], on.center[1] - off.center[1]) < 0.03 * on.side);
    assert.ok(Math.abs(on.side - off.side) < 0.03 * on.side);
    assert.ok(Math.abs(on.angle - off.angle) < 0.05);
  });
});

describe('face templates (1:N duplicate search)', () => {
  onBothEngines(
    'a face enrolled under one subject is found when another subject presents it',
    async (engine) => {
      const db = await freshDatabase(engine);
      try {
        const [cus] = await db.query<{ id: string }>('SELECT id FROM customers ORDER BY id LIMIT 1');
        let customerId = cus?.id;
        if (!customerId) {
          customerId = 'cus_facetest';
          await db.query(
            `INSERT INTO customers (id, legal_name, tax_code, segment) VALUES ($1, 'Test', '0100000001', 'bank')`,
            [customerId],
          );
        }
        const clock = fixedClock('2026-11-24T03:00:00Z');
        const keyring = { current: randomBytes(32), previous: [] };
        // `cacheTtlMs: 0` everywhere: each open reads the key table, as a fresh process would.
        const envelope = createEnvelope({ db, keyring, clock, cacheTtlMs: 0 });
        const svc = createFaceTemplateService({ db, clock, envelope });
        const m = await loadFaceModels();
        const obama = await analyzeImage(
          faceFile('face_recognition_examples/knn_examples/train/obama/obama.jpg'),
          {},
          m,
        );
        const biden = await analyzeImage(
          faceFile('face_recognition_examples/knn_examples/train/biden/biden.jpg'),
          {},
          m,
        );
        const obamaAgain = await analyzeImage(
          faceFile('face_recognition_examples/knn_examples/test/obama1.jpg'),
          {},
          m,
        );
        await svc.enroll(customerId, 'subject-1', obama.descriptor);
        await svc.enroll(customerId, 'subject-2', biden.descriptor);
        const hits = await svc.findDuplicates(customerId, obamaAgain.descriptor, {
          excludeSubject: 'subject-9',
        });
        assert.deepEqual(
          hits.map((h) => h.subject_ref),
          ['subject-1'],
        );
        // The same person re-enrolling under their own subject is not a duplicate.
        assert.deepEqual(
          await svc.findDuplicates(customerId, obamaAgain.descriptor, { excludeSubject: 'subject-1' }),
          [],
        );
        // Descriptors are stored sealed: no row holds the float bytes in clear.
        const stored = await db.query<{ descriptor: Uint8Array }>(
          'SELECT descriptor FROM face_templates WHERE customer_id = $1',
          [customerId],
        );
        assert.equal(stored.length, 2);
        for (const r of stored) {
          assert.ok(isSealed(r.descriptor));
          assert.equal(Buffer.from(r.descriptor).includes(toBytes(obama.descriptor).subarray(0, 16)), false);
        }
        // A row written in clear before sealing is sealed by the start-up upgrade and still matches.
        await db.query(
          `INSERT INTO face_templates (id, customer_id, subject_ref, descriptor, model, created_at)
           VALUES ('ftp_legacy', $1, 'subject-3', $2, 'old', now())`,
          [customerId, toBytes(biden.descriptor)],
        );
        assert.equal(await svc.sealLegacy(), 1);
        assert.equal(await svc.sealLegacy(), 0);
        const [legacy] = await db.query<{ descriptor: Uint8Array }>(
          `SELECT descriptor FROM face_templates WHERE id = 'ftp_legacy'`,
        );
        assert.ok(isSealed(legacy!.descriptor));
        // A fresh service rebuilds its index from the table by opening every descriptor.
        const again = createFaceTemplateService({ db, clock, envelope });
        assert.equal(
          (await again.findDuplicates(customerId, obamaAgain.descriptor))[0]?.subject_ref,
          'subject-1',
        );
        assert.deepEqual(
          (await again.findDuplicates(customerId, biden.descriptor)).map((h) => h.subject_ref).sort(),
          ['subject-2', 'subject-3'],
        );
        // Crypto-shredding the customer makes the stored descriptors unreadable.
        await envelope.shred(customerId);
        const afterShred = createFaceTemplateService({ db, clock, envelope });
        await assert.rejects(
          afterShred.findDuplicates(customerId, obamaAgain.descriptor),
          (err: unknown) => err instanceof CryptoError && err.reason === 'shredded',
        );
      } finally {
        await db.close();
      }
    },
  );
});
