import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import { sharedDataPath } from '../../ekyc/document/shared-data.ts';

function multipart(files: Record<string, Buffer>) {
  const boundary = `----ekyc${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, buf] of Object.entries(files)) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      buf,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A PNG whose header claims 20000×20000 (a decompression bomb): a few bytes on the wire. */
function bombPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20000, 0);
  ihdr.writeUInt32BE(20000, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('POST /v1/documents/read', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  const send = (files: Record<string, Buffer>) => {
    const { payload, contentType } = multipart(files);
    return t.app.inject({
      method: 'POST',
      url: '/v1/documents/read',
      headers: { ...auth, 'content-type': contentType },
      payload,
    });
  };
  const expectProblem = (
    res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
    status: number,
    code: string,
  ) => {
    assert.equal(res.statusCode, status, JSON.stringify(res.json()));
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal((res.json() as { code: string }).code, code);
  };

  before(async () => {
    t = await createTestApp();
    auth = { authorization: `Bearer ${t.seed.demoApiKey}` };
  });
  after(() => t.close());

  test('reads a chip CCCD photographed at an angle, front and back, QR and MRZ agreeing', async () => {
    const p = randomPerson(4242, 'cccd_chip');
    const front = await photograph(await renderCard(p, 'cccd_chip', 'front'), 'moderate', 1);
    const back = await photograph(await renderCard(p, 'cccd_chip', 'back'), 'moderate', 2);
    const res = await send({ front: front.image, back: back.image });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.document.type, 'cccd_chip');
    assert.deepEqual(body.document.sides, ['front', 'back']);
    assert.equal(body.fields.id_number.value, p.id_number);
    assert.ok(body.fields.id_number.sources.includes('qr'));
    assert.equal(body.fields.full_name.value, p.full_name);
    assert.equal(body.fields.date_of_birth.value, p.date_of_birth);
    assert.equal(body.fields.sex.value, p.sex);
    assert.equal(body.fields.date_of_expiry.value, p.date_of_expiry);
    const check = (code: string) => body.checks.find((c: { code: string }) => c.code === code)?.status;
    assert.equal(check('ID_NUMBER_MATCHES_BIRTH'), 'pass');
    assert.equal(check('MRZ_CHECK_DIGITS'), 'pass');
    assert.equal(check('SIDES_SAME_CARD'), 'pass');
    // The QR gives the name, birth date, sex, residence and issue date: only the name is read again, to cross-check.
    assert.equal(check('QR_MATCHES_OCR'), 'pass');
    assert.ok(['qr', 'ocr'].every((s) => body.fields.full_name.sources.includes(s)));
    assert.deepEqual(body.fields.place_of_residence.sources, ['qr']);
    assert.equal(body.quality.corners_found, true);
    assert.ok(body.portrait.box[2] > 50);
    // Field regions for the case view, in the uploaded images' pixels.
    assert.equal(body.fields.id_number.side, 'front');
    assert.equal(body.fields.id_number.box.length, 4);
    assert.equal(body.fields.date_of_issue.side, 'back');
    assert.equal(body.document.corners.front.length, 4);
    assert.equal(body.document.corners.back.length, 4);
  });

  test('reads a Căn cước 2024 card whose QR is on the back, by OCR of the front', async () => {
    const p = randomPerson(777, 'can_cuoc');
    const front = await photograph(await renderCard(p, 'can_cuoc', 'front'), 'clean', 3);
    const back = await photograph(await renderCard(p, 'can_cuoc', 'back'), 'clean', 4);
    const res = await send({ front: front.image, back: back.image });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.document.type, 'can_cuoc');
    assert.equal(body.fields.id_number.value, p.id_number);
    assert.deepEqual([...body.fields.id_number.sources].sort(), ['mrz', 'ocr', 'qr']);
    assert.equal(body.fields.full_name.value, p.full_name);
    assert.equal(body.fields.place_of_birth.value, p.place_of_birth);
  });

  test('reads an old 9-digit CMND front upside down, and says the back was not sent', async () => {
    const p = randomPerson(31, 'cmnd');
    const card = await renderCard(p, 'cmnd', 'front');
    const front = await photograph(await sharp(card).rotate(180).png().toBuffer(), 'clean', 5);
    const res = await send({ front: front.image });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.document.type, 'cmnd');
    assert.equal(body.fields.id_number.value, p.cmnd_number);
    assert.equal(body.fields.date_of_birth.value, p.date_of_birth);
    assert.equal(body.fields.date_of_issue.value, null);
    assert.match(body.fields.date_of_issue.reason, /not sent/);
  });

  test('front and back of two different cards → 422 ERR_DOCUMENT_SIDES_MISMATCH', async () => {
    const a = randomPerson(1, 'cccd_chip');
    const b = randomPerson(2, 'cccd_chip');
    const front = await photograph(await renderCard(a, 'cccd_chip', 'front'), 'clean', 6);
    const back = await photograph(await renderCard(b, 'cccd_chip', 'back'), 'clean', 7);
    expectProblem(await send({ front: front.image, back: back.image }), 422, 'ERR_DOCUMENT_SIDES_MISMATCH');
  });

  test('a photo with no card → 422 ERR_DOCUMENT_NOT_FOUND', async () => {
    const face = readFileSync(
      sharedDataPath('faces/face_recognition_examples/obama_variants/obama-480p.jpg'),
    );
    expectProblem(await send({ front: face }), 422, 'ERR_DOCUMENT_NOT_FOUND');
  });

  test('bad files each get their own 4xx code and the process stays healthy', async () => {
    expectProblem(
      await send({ front: Buffer.from('this is not an image at all') }),
      415,
      'ERR_IMAGE_UNSUPPORTED',
    );
    expectProblem(await send({ front: Buffer.alloc(0) }), 400, 'ERR_IMAGE_EMPTY');
    const jpeg = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    expectProblem(await send({ front: jpeg.subarray(0, 200) }), 400, 'ERR_IMAGE_CORRUPT');
    expectProblem(await send({ front: bombPng() }), 413, 'ERR_IMAGE_TOO_LARGE');
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    expectProblem(await send({ front: gif }), 400, 'ERR_IMAGE_ANIMATED');
    expectProblem(
      await send({ front: Buffer.alloc(11 * 1024 * 1024, 1) }),
      413,
      'ERR_DOCUMENT_UPLOAD_TOO_LARGE',
    );
    expectProblem(await send({ back: jpeg }), 400, 'ERR_DOCUMENT_FRONT_REQUIRED');
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    assert.equal(res.statusCode, 200);
  });

  test('without an API key → 401', async () => {
    const { payload, contentType } = multipart({ front: Buffer.from('x') });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/documents/read',
      headers: { 'content-type': contentType },
      payload,
    });
    expectProblem(res, 401, 'ERR_INVALID_API_KEY');
  });
});
