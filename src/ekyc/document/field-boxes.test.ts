import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import sharp from 'sharp';
import { type Photo, photograph, randomPerson, renderCard } from '../../../test/fixtures/cards/render.ts';
import { applyH, homography, type Point } from './geometry.ts';
import { type DocType, layoutOf, type Side } from './layouts.ts';
import { type Box, readDocument } from './reader.ts';

const now = new Date('2026-11-24T00:00:00Z');

/** Where the renderer drew a layout box in the photo: through the card's placement, then the photo's turns. */
async function drawnBox(photo: Photo, type: DocType, side: Side, box: Box): Promise<Box> {
  const L = layoutOf(type, side);
  const H = homography(
    [
      [0, 0],
      [L.width - 1, 0],
      [L.width - 1, L.height - 1],
      [0, L.height - 1],
    ],
    photo.corners,
  );
  const { width: W0, height: H0 } = await sharp(photo.image).metadata();
  // Before the turns the photo was W × H; a clockwise quarter turn maps (x, y) → (H - 1 - y, x).
  const [w, h] = photo.turns % 2 ? [H0!, W0!] : [W0!, H0!];
  const turn = ([x, y]: Point): Point => {
    let p: Point = [x, y];
    let [cw, ch] = [w, h];
    for (let t = 0; t < photo.turns; t++) {
      p = [ch - 1 - p[1], p[0]];
      [cw, ch] = [ch, cw];
    }
    return p;
  };
  const [bx, by, bw, bh] = box;
  const pts = (
    [
      [bx, by],
      [bx + bw, by],
      [bx + bw, by + bh],
      [bx, by + bh],
    ] as Point[]
  ).map(([x, y]) => turn(applyH(H, x, y)));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  return [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0];
}

/** Each edge of `got` within `tol` pixels of `want`'s. */
function near(got: Box | undefined, want: Box, tol: number, what: string) {
  assert.ok(got, `${what}: no box`);
  const edges = (b: Box) => [b[0], b[1], b[0] + b[2], b[1] + b[3]];
  const d = edges(got).map((v, i) => Math.abs(v - edges(want)[i]!));
  assert.ok(Math.max(...d) <= tol, `${what}: got ${got}, drawn at ${want.map(Math.round)}`);
}

describe('field boxes in the uploaded image', () => {
  after(async () => (await import('./ocr.ts')).getOcr().then((o) => o.terminate()));

  test('a chip CCCD: the ID number on the front and the issue date on the back lie where the renderer drew them', async () => {
    const p = randomPerson(5150, 'cccd_chip');
    const front = await photograph(await renderCard(p, 'cccd_chip', 'front'), 'moderate', 32);
    const back = await photograph(await renderCard(p, 'cccd_chip', 'back'), 'moderate', 35);
    const r = await readDocument({ front: front.image, back: back.image, now });
    assert.equal(r.fields.id_number?.side, 'front');
    const idLayout = layoutOf('cccd_chip', 'front').fields.find((f) => f.field === 'id_number')!;
    near(r.fields.id_number?.box, await drawnBox(front, 'cccd_chip', 'front', idLayout.box), 8, 'id_number');
    assert.equal(r.fields.date_of_issue?.side, 'back');
    const issue = layoutOf('cccd_chip', 'back').fields.find((f) => f.field === 'date_of_issue')!;
    near(
      r.fields.date_of_issue?.box,
      await drawnBox(back, 'cccd_chip', 'back', issue.box),
      8,
      'date_of_issue',
    );
    // The card's corners, its own top-left first (the back was photographed upside down).
    const L = layoutOf('cccd_chip', 'back');
    const backTl = await drawnBox(back, 'cccd_chip', 'back', [0, 0, 0, 0]);
    const backBr = await drawnBox(back, 'cccd_chip', 'back', [L.width - 1, L.height - 1, 0, 0]);
    const c = r.document.corners.back!;
    assert.ok(Math.hypot(c[0][0] - backTl[0], c[0][1] - backTl[1]) < 8, `back top-left ${c[0]} vs ${backTl}`);
    assert.ok(
      Math.hypot(c[2][0] - backBr[0], c[2][1] - backBr[1]) < 8,
      `back bottom-right ${c[2]} vs ${backBr}`,
    );
  });

  test('a large photo stored sideways with an EXIF orientation: boxes in the displayed image, at full size', async () => {
    const p = randomPerson(5151, 'cmnd');
    const photo = await photograph(await renderCard(p, 'cmnd', 'front'), 'clean', 32);
    const idLayout = layoutOf('cmnd', 'front').fields.find((f) => f.field === 'id_number')!;
    const drawn = await drawnBox(photo, 'cmnd', 'front', idLayout.box);
    // Displayed 2800 × 2100 (above the reader's 1600 px working size); stored turned a quarter
    // counter-clockwise with orientation 6, which a browser turns back.
    // (Two pipelines: sharp turns before it resizes.)
    const large = await sharp(photo.image).resize(2800, 2100).png().toBuffer();
    const stored = await sharp(large)
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 90 })
      .toBuffer();
    const r = await readDocument({ front: stored, now });
    assert.equal(r.fields.id_number?.value, p.cmnd_number);
    near(r.fields.id_number?.box, drawn.map((v) => v * 2) as Box, 16, 'id_number ×2');
    const portrait = layoutOf('cmnd', 'front').photo!;
    near(
      r.portrait?.box,
      (await drawnBox(photo, 'cmnd', 'front', portrait)).map((v) => v * 2) as Box,
      16,
      'portrait ×2',
    );
  });
});
