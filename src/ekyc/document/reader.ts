import sharp from 'sharp';
import { decodeImage } from '../image.ts';
import { readQr } from './barcode.ts';
import { documentError } from './errors.ts';
import { expectedExpiry } from './expiry.ts';
import {
  applyH,
  findCard,
  flatten,
  homography,
  longSideFirst,
  type Point,
  type RawImage,
  rotate90,
} from './geometry.ts';
import { glareFlattenedPng, glareShare } from './glare.ts';
import { analyzeIdNumber, type CheckStatus, idMatchesPerson } from './id-number.ts';
import {
  CARD_H,
  CARD_W,
  type DocType,
  type FieldLayout,
  type FieldName,
  LAYOUTS,
  type Layout,
  layoutOf,
  PASSPORT_H,
  PASSPORT_W,
  type Side,
} from './layouts.ts';
import { type MrzData, readMrzText } from './mrz.ts';
import {
  dmyToIso,
  familyNameFor,
  foldKey,
  normalizeName,
  normalizeSex,
  normalizeText,
  oddNameWords,
  repairHorns,
  restoreFamilyName,
  settleNameMarks,
  toIsoDate,
} from './normalize.ts';
import { getOcr } from './ocr.ts';
import { type CccdQrData, parseCccdQr } from './qr.ts';

export type Source = 'qr' | 'mrz' | 'ocr';

export type Box = [number, number, number, number];

export interface FieldResult {
  value: string | null;
  confidence: number;
  sources: Source[];
  reason?: string;
  /**
   * Where the field is printed, in the uploaded image of `side` ([x, y, w, h], pixels of the image
   * as displayed, EXIF orientation applied): the axis-aligned bounds of its layout box.
   */
  box?: Box;
  side?: Side;
}

export interface Check {
  code: string;
  status: CheckStatus;
  detail: string;
  score?: number;
}

export interface Quality {
  blur: number;
  glare: number;
  card_coverage: number;
  corners_found: boolean;
  greyscale: number;
  moire: number;
}

/** The card's corners in each uploaded image (same pixels as `FieldResult.box`), the card's own
 * top-left first, clockwise. */
export type CardCorners = Partial<Record<Side, [Point, Point, Point, Point]>>;

export interface DocumentReadResult {
  document: { type: DocType; sides: Side[]; corners: CardCorners };
  fields: Partial<Record<FieldName, FieldResult>>;
  checks: Check[];
  portrait: { box: [number, number, number, number] } | null;
  quality: Quality;
  timings_ms: Record<string, number>;
}

interface OcrValue {
  value: string | null;
  confidence: number;
  raw: string;
  /** Why the value is null although text was read. */
  reason?: string;
}

interface SideAnalysis {
  type: DocType;
  side: Side;
  layout: Layout;
  qr: CccdQrData | null;
  mrz: MrzData | null;
  ocr: Partial<Record<FieldName, OcrValue>>;
  quality: Quality;
  touchesEdge: boolean;
  portrait: Box | null;
  /** Each printed field's box in the uploaded image. */
  boxes: Partial<Record<FieldName, Box>>;
  corners: [Point, Point, Point, Point];
  /** Another country's passport: its fields come from the MRZ alone. */
  mrzOnly: boolean;
}

/**
 * A greyscale PNG of the box for tesseract. `equalize` adds local contrast equalisation (CLAHE):
 * glare or a shadow over a field leaves faint text that a global stretch cannot lift.
 */
async function toPng(
  img: RawImage,
  box: [number, number, number, number],
  equalize = false,
  margin = 0,
): Promise<Buffer> {
  const x = Math.max(0, Math.round(box[0]));
  const y = Math.max(0, Math.round(box[1]));
  const w = Math.min(img.width - x, Math.round(box[2]));
  const h = Math.min(img.height - y, Math.round(box[3]));
  // One libvips pipeline: the extract runs first, so the normalisation sees only the box.
  let p = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 } })
    .extract({ left: x, top: y, width: w, height: h })
    .greyscale();
  if (equalize) p = p.clahe({ width: 24, height: 24, maxSlope: 6 });
  if (margin)
    p = p.extend({ top: margin, bottom: margin, left: margin, right: margin, background: '#ffffff' });
  return p.normalise().withMetadata({ density: 300 }).png({ compressionLevel: 1 }).toBuffer();
}

/** Field values from OCR text, by the field's kind. Unparseable text gives null, never a guess. */
export function parseFieldText(layout: FieldLayout, text: string, type: DocType): string | null {
  const t = text.normalize('NFC').replace(/\s+/g, ' ').trim();
  switch (layout.kind) {
    case 'id': {
      if (layout.field === 'passport_number') {
        const m = /[A-Z]\s*\d{7}/.exec(t.toUpperCase().replace(/O/g, '0'));
        return m ? m[0].replace(/\s/g, '') : null;
      }
      const digits = t.replace(/[Oo]/g, '0').replace(/[Il|]/g, '1').replace(/\D/g, '');
      const want = type === 'cmnd' ? 9 : 12;
      const m = new RegExp(`\\d{${want}}`).exec(digits);
      return m && digits.length <= want + 1 ? m[0] : null;
    }
    case 'date': {
      // Printed dates are zero-padded: a one-digit day or month is a digit OCR dropped.
      const m = /(?<!\d)(\d{2})\s*[/\-.]\s*(\d{2})\s*[/\-.]\s*(\d{4})/.exec(t);
      if (m) return dmyToIso(`${m[1]}/${m[2]}/${m[3]}`);
      const d = t.replace(/\D/g, '');
      return d.length === 8 ? dmyToIso(d) : null;
    }
    case 'dmy_words': {
      const g = t.match(/\d+/g);
      if (!g || g.length < 3) return null;
      const [d, m, y] = g.slice(-3) as [string, string, string];
      return y.length === 4 ? dmyToIso(`${d}/${m}/${y}`) : null;
    }
    case 'sex': {
      const k = foldKey(t);
      if (/\bNU\b/.test(k)) return 'F';
      if (/\bNAM\b/.test(k)) return 'M';
      return normalizeSex(t);
    }
    case 'name': {
      // A wide gap inside a name is letters glare left too faint, read around (PHẠM HỒNG read
      // "PHA     ÔNG", VIỆT dropped from "GIA        THẮNG"): not a name. Junk read off the box's
      // edge after a gap ("BẢO      ;") is no letter, and no gap inside the name.
      if (/\p{L} {3,}\S*\p{L}/u.test(text)) return null;
      // Minority names keep an apostrophe between letters (H'HEN NIÊ).
      const letters = t.replace(/[’`]/g, "'").replace(/[^\p{L}\s']|'(?!\p{L})|(?<!\p{L})'/gu, ' ');
      // OCR sometimes emits a vowel twice, bare and then with its marks (PHAẠM): names have no such pair.
      const n = restoreFamilyName(
        repairHorns(normalizeName(letters))
          .normalize('NFD')
          .replace(/([AEIOUY])(?=\1[\u0300-\u036f])/g, '')
          .normalize('NFC'),
      );
      // Every syllable of a name, Kinh or minority, has a vowel: a lone consonant is a letter
      // OCR split off a word it lost (HUỲNH read as "H H").
      const syllables = n.split(' ').every((w) => /[AEIOUY]/.test(foldKey(w)));
      return n.length >= 3 && syllables ? n : null;
    }
    default: {
      // Punctuation after a space at the end is read off the box's edge ("Thừa Thiên Huế :").
      const v = normalizeText(t.replace(/^[\s:.,;\-|]+/, '').replace(/(\s[\s:.,;|]*|\|+)$/, ''));
      return v.length >= 2 ? v : null;
    }
  }
}

/** Laplacian variance of the luminance `lum` (`width × height`) over the box. */
function laplacianVariance(
  lum: Float32Array,
  width: number,
  height: number,
  box: [number, number, number, number],
): number {
  const [bx, by, bw, bh] = box.map(Math.round) as [number, number, number, number];
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let y = Math.max(1, by); y < Math.min(height - 1, by + bh); y += 1) {
    for (let x = Math.max(1, bx); x < Math.min(width - 1, bx + bw); x += 1) {
      const i = y * width + x;
      const l = 4 * lum[i]! - lum[i - 1]! - lum[i + 1]! - lum[i - width]! - lum[i + width]!;
      s += l;
      s2 += l * l;
      n++;
    }
  }
  return n ? s2 / n - (s / n) ** 2 : 0;
}

function measureQuality(flat: RawImage, layout: Layout, coverage: number, found: boolean): Quality {
  // Luminance once, for the blur and the moiré measures.
  const W = flat.width;
  const lum = new Float32Array(W * flat.height);
  for (let i = 0; i < lum.length; i++) {
    lum[i] = 0.299 * flat.data[i * 3]! + 0.587 * flat.data[i * 3 + 1]! + 0.114 * flat.data[i * 3 + 2]!;
  }
  // Blur: Laplacian variance over the text boxes, mapped to 0 (blurred) … 1 (sharp).
  const boxes = layout.fields.map((f) => f.box);
  const lv =
    boxes.reduce((s, b) => s + laplacianVariance(lum, W, flat.height, b), 0) / Math.max(1, boxes.length);
  const blur = Math.min(1, lv / 1500);
  let glarePx = 0;
  let total = 0;
  for (const [bx, by, bw, bh] of boxes) {
    for (let y = by; y < by + bh && y < flat.height; y += 2) {
      for (let x = bx; x < bx + bw && x < flat.width; x += 2) {
        const i = (y * flat.width + x) * 3;
        total++;
        if (flat.data[i]! > 245 && flat.data[i + 1]! > 245 && flat.data[i + 2]! > 245) glarePx++;
      }
    }
  }
  // Greyscale: mean chroma over the whole card (a photocopy has none).
  let chroma = 0;
  let n = 0;
  for (let i = 0; i < flat.data.length; i += 3 * 7) {
    const r = flat.data[i]!;
    const g = flat.data[i + 1]!;
    const b = flat.data[i + 2]!;
    chroma += Math.max(r, g, b) - Math.min(r, g, b);
    n++;
  }
  const meanChroma = chroma / Math.max(1, n);
  // Moiré: a screen's pixel grid shows as fine texture where the card is otherwise plain. Mean
  // second difference of luminance over pixels without coarse structure (text edges are excluded):
  // sensor noise and JPEG give 1–4, a recaptured screen 6–80.
  let fine = 0;
  let plain = 0;
  for (let y = 4; y < flat.height - 4; y += 2) {
    for (let x = 4; x < W - 4; x++) {
      const i = y * W + x;
      const coarse = Math.abs(lum[i + 3]! - lum[i - 3]!) + Math.abs(lum[i + 3 * W]! - lum[i - 3 * W]!);
      if (coarse > 16) continue;
      fine +=
        Math.abs(2 * lum[i]! - lum[i - 1]! - lum[i + 1]!) + Math.abs(2 * lum[i]! - lum[i - W]! - lum[i + W]!);
      plain++;
    }
  }
  const texture = fine / Math.max(1, plain);
  return {
    blur: Number(blur.toFixed(3)),
    glare: Number((glarePx / Math.max(1, total)).toFixed(4)),
    card_coverage: Number(coverage.toFixed(3)),
    corners_found: found,
    greyscale: Number(Math.max(0, 1 - meanChroma / 12).toFixed(3)),
    moire: Number((texture / (texture + 8)).toFixed(3)),
  };
}

function crop(img: RawImage, x: number, y: number, w: number, h: number): RawImage {
  const out = Buffer.alloc(w * h * 3);
  for (let r = 0; r < h; r++) {
    const from = ((y + r) * img.width + x) * 3;
    out.set(img.data.subarray(from, from + w * 3), r * w * 3);
  }
  return { data: out, width: w, height: h, channels: 3 };
}

/** Share of pixels in the box much darker than the card's mean: about half of a QR's modules are dark. */
function darkShare(img: RawImage, [bx, by, bw, bh]: [number, number, number, number]): number {
  let lum = 0;
  let n = 0;
  for (let y = 0; y < img.height; y += 9) {
    for (let x = 0; x < img.width; x += 9) {
      const i = (y * img.width + x) * 3;
      lum += (img.data[i]! + img.data[i + 1]! + img.data[i + 2]!) / 3;
      n++;
    }
  }
  const cut = lum / n - 70;
  let dark = 0;
  let m = 0;
  for (let y = by; y < by + bh; y += 2) {
    for (let x = bx; x < bx + bw; x += 2) {
      const i = (y * img.width + x) * 3;
      if ((img.data[i]! + img.data[i + 1]! + img.data[i + 2]!) / 3 < cut) dark++;
      m++;
    }
  }
  return dark / m;
}

/**
 * QR on the flattened card. The symbol sits in a corner (chip CCCD front top right, Căn cước back
 * top left, the opposite corners when upside down), so the four corner squares are tried first;
 * the whole card and the corners enlarged ×2 only when some corner has QR-like ink.
 */
async function readQrOnCard(flat: RawImage): Promise<Awaited<ReturnType<typeof readQr>>> {
  const s = 190;
  const spots: [number, number][] = [
    [flat.width - s, 0],
    [0, flat.height - s],
    [0, 0],
    [flat.width - s, flat.height - s],
  ];
  for (const [x, y] of spots) {
    const hit = await readQr(crop(flat, x, y, s, s));
    if (hit) return { ...hit, center: [x + hit.center[0], y + hit.center[1]] };
  }
  const inked = spots.filter(([x, y]) => darkShare(flat, [x, y, s, s]) > 0.13);
  if (!inked.length) return null;
  const whole = await readQr(flat);
  if (whole) return whole;
  for (const [x, y] of inked) {
    const { data, info } = await sharp(flat.data, {
      raw: { width: flat.width, height: flat.height, channels: 3 },
    })
      .extract({ left: x, top: y, width: s, height: s })
      .resize(s * 2, s * 2, { kernel: 'cubic' })
      .sharpen()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const hit = await readQr({ data, width: info.width, height: info.height, channels: 3 });
    if (hit) return { ...hit, center: [x + hit.center[0] / 2, y + hit.center[1] / 2] };
  }
  return null;
}

/** Keyword search that tolerates OCR errors: some window of the text within `maxErr` edits. */
export function fuzzyHas(text: string, keyword: string, maxErr = keyword.length >= 10 ? 2 : 1): boolean {
  if (text.includes(keyword)) return true;
  const n = keyword.length;
  for (let len = n - 1; len <= n + 1; len++) {
    for (let i = 0; i + len <= text.length; i++) {
      if (editDistance(text.slice(i, i + len), keyword) <= maxErr) return true;
    }
  }
  return false;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

const has = (text: string, ...kws: string[]) => kws.some((k) => fuzzyHas(text, k));

/** Is there a QR code (unreadable or not) where the chip CCCD front has one? A Căn cước's gold chip has next to no dark ink. */
const hasQrInk = (img: RawImage) => darkShare(img, [850, 18, 144, 144]) > 0.2;

/** Is there a gold chip top right, where the Căn cước front has one (and the CCCD fronts do not)? */
function hasGoldChip(img: RawImage): boolean {
  let gold = 0;
  let n = 0;
  for (let y = 40; y < 110; y += 2) {
    for (let x = 880; x < 970; x += 2) {
      const i = (y * img.width + x) * 3;
      // Gold is far yellower than any card background: (R + G) / 2 − B is about 100 against −15.
      if ((img.data[i]! + img.data[i + 1]!) / 2 - img.data[i + 2]! > 40) gold++;
      n++;
    }
  }
  return gold / n > 0.3;
}

/** A layout's printed regions on a coarse grid of `CELL`-pixel cells: where ink is expected. */
const CELL = 32;
function inkMask(L: Layout): Uint8Array {
  const cols = Math.ceil(L.width / CELL);
  const rows = Math.ceil(L.height / CELL);
  const mask = new Uint8Array(cols * rows);
  const mark = (x: number, y: number, w: number, h: number) => {
    for (
      let r = Math.max(0, Math.floor(y / CELL));
      r <= Math.min(rows - 1, Math.floor((y + h) / CELL));
      r++
    ) {
      for (
        let c = Math.max(0, Math.floor(x / CELL));
        c <= Math.min(cols - 1, Math.floor((x + w) / CELL));
        c++
      ) {
        mask[r * cols + c] = 1;
      }
    }
  };
  for (const t of L.title ?? []) {
    const w = t.text.length * t.size * 0.62;
    mark(t.at[0] - w / 2, t.at[1] - t.size, w, t.size);
  }
  for (const f of L.fields) {
    if (f.label) mark(f.labelAt[0], f.labelAt[1] - 17, f.label.length * 9, 17);
    mark(...f.box);
  }
  for (const b of [L.photo, ...(L.fingerprints ?? [])]) if (b) mark(...b);
  if (L.qr) mark(L.qr[0], L.qr[1], L.qr[2], L.qr[2]);
  if (L.mrz) mark(L.mrz.at[0], L.mrz.at[1], L.width - 2 * L.mrz.at[0], L.mrz.lines * L.mrz.lineHeight);
  return mask;
}
let masks: Map<Layout, Uint8Array> | undefined;

/**
 * Is the flattened card more likely upright than upside down? The share of its dark ink that falls
 * where some layout of this size prints, upright against turned 180°. Only orders the OCR attempts.
 */
function likelyUpright(flat: RawImage): boolean {
  masks ??= new Map(LAYOUTS.map((L) => [L, inkMask(L)]));
  const cols = Math.ceil(flat.width / CELL);
  const rows = Math.ceil(flat.height / CELL);
  const ink = new Float32Array(cols * rows);
  let lum = 0;
  let n = 0;
  for (let i = 0; i < flat.data.length; i += 3 * 11) {
    lum += flat.data[i]! + flat.data[i + 1]! + flat.data[i + 2]!;
    n += 3;
  }
  const cut = (3 * lum) / n - 3 * 70;
  for (let y = 0; y < flat.height; y += 2) {
    for (let x = 0; x < flat.width; x += 2) {
      const i = (y * flat.width + x) * 3;
      if (flat.data[i]! + flat.data[i + 1]! + flat.data[i + 2]! < cut)
        ink[Math.floor(y / CELL) * cols + Math.floor(x / CELL)]!++;
    }
  }
  let up = 0;
  let down = 0;
  for (const [L, mask] of masks) {
    if (L.width !== flat.width || L.height !== flat.height) continue;
    let a = 0;
    let b = 0;
    for (let k = 0; k < ink.length; k++) {
      a += ink[k]! * mask[k]!;
      b += ink[ink.length - 1 - k]! * mask[k]!;
    }
    up = Math.max(up, a);
    down = Math.max(down, b);
  }
  return up >= down;
}

interface Classified {
  type: DocType;
  side: Side;
  flip: boolean;
  mrz: MrzData | null;
  /** Another country's passport, known by its MRZ: the Vietnamese layout's printed fields are not read. */
  mrzOnly?: boolean;
}

/** Which document side is this, and is it upside down? */
async function classify(flat: RawImage, qrCenter: Point | null): Promise<Classified | null> {
  const W = flat.width;
  const H = flat.height;
  const passportLike = W / H < 1.5;
  if (qrCenter && !passportLike) {
    const [x, y] = qrCenter;
    const right = x > W / 2;
    const top = y < H / 2;
    if (right && top) return { type: 'cccd_chip', side: 'front', flip: false, mrz: null };
    if (!right && !top) return { type: 'cccd_chip', side: 'front', flip: true, mrz: null };
    if (!right && top) return { type: 'can_cuoc', side: 'back', flip: false, mrz: null };
    return { type: 'can_cuoc', side: 'back', flip: true, mrz: null };
  }
  const ocr = await getOcr();
  // Glare over a title leaves faint letters: when no reading says anything, all are read again
  // after local contrast equalisation (never on the happy path).
  const order = likelyUpright(flat) ? [false, true] : [true, false];
  const attempts = [false, true].flatMap((equalize) => order.map((flip) => ({ flip, equalize })));
  for (const { flip, equalize } of attempts) {
    const img = flip ? rotate90(flat, 2) : flat;
    const png = (b: Box) => toPng(img, b, equalize);
    if (passportLike) {
      const t = foldKey((await ocr.line(await png([250, 50, 620, 50]))).text);
      if (has(t, 'HO CHIEU', 'PASSPORT')) return { type: 'passport', side: 'front', flip, mrz: null };
      continue;
    }
    // Title (fronts) and first label line (backs), read in parallel on the two workers; the CMND
    // title and the line right of a Căn cước back's QR only when those two say nothing.
    const [titleR, bandR] = await Promise.all([
      ocr.line(await png([250, 100, 620, 48])),
      // Left of the fingerprint boxes: their frame lines derail line OCR.
      ocr.line(await png([0, 24, 620, 40])),
    ]);
    const title = foldKey(titleR.text);
    const band = foldKey(bandR.text);
    if (has(title, 'CONG DAN', 'CITIZEN')) {
      // The chip CCCD front carries a QR code top right: ink there means chip card with an unreadable QR.
      return { type: hasQrInk(img) ? 'cccd_chip' : 'cccd', side: 'front', flip, mrz: null };
    }
    if (has(title, 'CAN CUOC', 'IDENTITY')) {
      // The Căn cước's title is CĂN CƯỚC alone: "CĂN CƯỚC CÔNG DÂN" with a word under glare still
      // reads CĂN CƯỚC, and a CÔNG or DÂN after it (CĂN CƯỚ … G DÂN, CĂN CƯỚC CÔNG) on a card
      // without the Căn cước's gold chip is a CCCD front.
      const words = title.split(' ');
      const cuoc = words.findIndex((w) => has(w, 'CUOC'));
      // Never CĂN itself, one letter from DÂN.
      const after = words.slice(Math.max(1, cuoc + 1));
      const cccd = after.some((w) => w.length >= 3 && has(w, 'CONG', 'DAN')) && !hasGoldChip(img);
      if (!cccd) return { type: 'can_cuoc', side: 'front', flip, mrz: null };
      return { type: hasQrInk(img) ? 'cccd_chip' : 'cccd', side: 'front', flip, mrz: null };
    }
    if (has(band, 'CU TRU', 'RESIDENCE')) return { type: 'can_cuoc', side: 'back', flip, mrz: null };
    if (has(band, 'DAC DIEM', 'NHAN DANG', 'IDENTIFICATION'))
      return { type: 'cccd', side: 'back', flip, mrz: null };
    if (has(band, 'DAN TOC', 'TON GIAO')) return { type: 'cmnd', side: 'back', flip, mrz: null };
    const cmnd = foldKey((await ocr.line(await png([250, 64, 740, 50]))).text);
    if (has(`${title} | ${cmnd}`, 'CHUNG MINH', 'MINH NHAN'))
      return { type: 'cmnd', side: 'front', flip, mrz: null };
    // Căn cước back with an unreadable QR: its first label starts right of the QR. A CMND back whose
    // small labels did not read: its issue line "Ngày … tháng … năm …" is large.
    const [rightR, issuedR] = await Promise.all([
      ocr.line(await png([196, 24, 620, 40])),
      ocr.line(await png([474, 290, 512, 56])),
    ]);
    if (has(foldKey(rightR.text), 'CU TRU', 'RESIDENCE'))
      return { type: 'can_cuoc', side: 'back', flip, mrz: null };
    const issued = foldKey(issuedR.text);
    if (has(issued, 'NGAY') && has(issued, 'THANG')) return { type: 'cmnd', side: 'back', flip, mrz: null };
    if (has(band, 'CONG HOA', 'CHU NGHIA')) {
      // A front whose title is hidden (glare): a QR top right means chip CCCD, a chip means Căn cước.
      return { type: hasQrInk(img) ? 'cccd_chip' : 'can_cuoc', side: 'front', flip, mrz: null };
    }
  }
  return null;
}

/** One field's box read line by line (PSM 7) and parsed by the field's kind. */
async function readField(
  flat: RawImage,
  f: FieldLayout,
  type: DocType,
  equalize: boolean,
): Promise<OcrValue> {
  const ocr = await getOcr();
  const rows = f.lines ?? 1;
  const rowH = f.box[3] / rows;
  const pad = 6;
  // Rows at once: a two-row field keeps both workers busy.
  const results = await Promise.all(
    Array.from({ length: rows }, async (_, i) => {
      const box: [number, number, number, number] = [
        Math.round(f.box[0] - pad),
        Math.round(f.box[1] + rowH * i - 4),
        Math.round(f.box[2] + 12),
        Math.round(rowH + 8),
      ];
      // A later row without ink (a short value) is not read: OCR of a blank row returns junk.
      if (i > 0 && darkShare(flat, box) < 0.004) return { text: '', confidence: 0, words: [] };
      // A short word cropped close (sex: "Nam") sometimes reads as nothing: its re-read gets a
      // white margin (wider boxes read worse with one).
      const margin = equalize && f.box[2] < 200 ? 24 : 0;
      const r = await ocr.line(await toPng(flat, box, equalize, margin));
      // Word edges from the box's left edge.
      return { ...r, words: r.words.map((w) => ({ ...w, left: w.left - margin - pad })) };
    }),
  );
  // A short value leaves the second row of a two-row box empty: only rows with text count.
  const withText = results.filter((r) => r.text.trim());
  const texts = withText.map((r) => r.text.trim());
  const confs = withText.map((r) => r.confidence);
  const raw = texts.join(' ');
  const confidence = confs.reduce((a, b) => a + b, 0) / Math.max(1, confs.length) / 100;
  // Names and places are printed from the box's left edge, every row: a row whose first word starts
  // half a letter height or more right of it lost its first letters to glare, and may still parse
  // (BÙI read as "UI", "105 Điện Biên Phủ" as "5 Điện Biên Phủ").
  if (
    (f.kind === 'name' || f.kind === 'text') &&
    results.some((r) => (r.words[0]?.left ?? 0) > 0.5 * f.size)
  ) {
    return { value: null, confidence, raw, reason: 'the first letters are unreadable' };
  }
  // A given or middle name read with confidence under 0.6 is a guessed tone mark (DUNG read DỤNG
  // at 0.32). The family name is exempt: its lost tone marks are restored from the list. Junk read
  // off the box's edge (";") is no word of the name.
  const unsure = (results[0]?.words ?? []).slice(1).some((w) => w.confidence < 60 && /\p{L}/u.test(w.text));
  if (f.kind === 'name' && unsure) {
    return { value: null, confidence, raw, reason: 'a word of the name is read unsurely' };
  }
  return { value: parseFieldText(f, raw, type), confidence, raw };
}

async function ocrFields(
  flat: RawImage,
  fields: FieldLayout[],
  type: DocType,
  now: Date,
  known: CccdQrData | null = null,
): Promise<Partial<Record<FieldName, OcrValue>>> {
  const out: Partial<Record<FieldName, OcrValue>> = {};
  const read = (f: FieldLayout, equalize: boolean) => readField(flat, f, type, equalize);
  const idField = fields.find((f) => f.field === 'id_number' && f.kind === 'id');
  let idEqualized: OcrValue | null = null;
  await Promise.all(
    fields.map(async (f) => {
      // The ID number has its own re-reads once the birth date and sex beside it are known. Without
      // a QR nothing else repeats it, and a digit misread with full confidence (8 as 5) passes every
      // check: it is also read after CLAHE, and two readings that differ go to the vote.
      if (f === idField) {
        const [plain, equalized] = await Promise.all([read(f, false), known ? null : read(f, true)]);
        out[f.field] = plain;
        idEqualized = equalized;
        return;
      }
      const plain = await read(f, false);
      let r = plain;
      let equalized: OcrValue | null = null;
      // Text that does not parse, or is read with low confidence, is read once more with local
      // contrast equalisation; the better of the two readings is kept.
      if (r.value === null || r.confidence < 0.6) {
        equalized = await read(f, true);
        if (equalized.value !== null && (r.value === null || equalized.confidence > r.confidence))
          r = equalized;
      }
      // A middle or given name read as a syllable that is no name but folds to one (HÔNG, YÊN,
      // VAN) had a mark misread, with full confidence: the box's other reading settles it.
      if (f.kind === 'name' && r.value && oddNameWords(r.value).length) {
        equalized ??= await read(f, true);
        const settled = settleNameMarks(r.value, (r === equalized ? plain : equalized).value);
        // A mark taken from the list alone, that no reading saw, is less sure than a read one.
        r = settled.value
          ? {
              ...r,
              value: settled.value,
              confidence: settled.byList ? Math.min(r.confidence, 0.7) : r.confidence,
            }
          : { ...r, value: null, reason: `a tone mark of the name is unsure (${settled.word} is no name)` };
      }
      out[f.field] = r;
    }),
  );
  if (idField) {
    const person = {
      dob: known?.date_of_birth ?? out.date_of_birth?.value ?? null,
      sex: (known?.sex ?? out.sex?.value ?? null) as 'M' | 'F' | null,
    };
    const first = out.id_number!;
    const want = type === 'cmnd' ? 9 : 12;
    const fit = first.value ? idFit(first.value, person, now) : 'impossible';
    // Only an ID number that is impossible, disagrees with the birth date or sex beside it, or was
    // read unsurely is read again (never on the happy path).
    const second = idEqualized as OcrValue | null;
    if (fit !== 'consistent' || first.confidence < 0.9 || (second && second.value !== first.value)) {
      out.id_number = await rereadIdNumber(flat, idField, first, want, person, now, second);
    }
    // Without a QR nothing confirms the number. Glare over it washes digits out to a faint grey that
    // the CLAHE readings may all take for the same wrong digit (a faint 3 read as 5 by vie and eng,
    // the plain readings seeing nothing there), and the six random digits have no check. Under
    // glare the box is read again with the glare flattened; possible numbers read there that are
    // not the one taken mean the glare left the digits unsure: null.
    const taken = out.id_number;
    if (!known && taken?.value && glareShare(flat, idField.box) > 0.02) {
      out.id_number = await confirmUnderGlare(flat, idField, taken, want, person, now);
    }
  }
  return out;
}

/**
 * Reads the ID number's box with the glare flattened (`glareFlattenedPng`), by `vie` and by `eng`
 * with the MRZ alphabet; see `ocrFields`. Only when both give possible numbers and neither is the
 * one taken is it null: one reader alone misreads the flattened digits too (a half-glared CMND 8
 * read as 6 by `vie`).
 */
async function confirmUnderGlare(
  flat: RawImage,
  f: FieldLayout,
  taken: OcrValue,
  want: number,
  person: { dob: string | null; sex: 'M' | 'F' | null },
  now: Date,
): Promise<OcrValue> {
  const ocr = await getOcr();
  const box: Box = [f.box[0] - 6, f.box[1] - 4, f.box[2] + 12, f.box[3] + 8];
  // About half a digit's width: every pixel of a stroke then has the paper beside it in reach.
  const png = await glareFlattenedPng(flat, box, Math.round(0.4 * f.size));
  const reads = await Promise.all([ocr.line(png), ocr.mrz(png)]);
  const contradicts = reads.every((r) => {
    const possible = idCandidates(r.text, want).filter((c) => idFit(c, person, now) !== 'impossible');
    return possible.length > 0 && !possible.includes(taken.value ?? '');
  });
  if (!contradicts) return taken;
  return {
    value: null,
    confidence: 0,
    raw: [taken.raw, ...reads.map((r) => r.text.trim())].join(' | '),
    reason: 'glare over the ID number: read with the glare flattened it gives another number',
  };
}

/**
 * How an OCR'd ID number fits the card: a 12-digit number must name a province in the list and a
 * century/sex digit for a birth year that has happened; `consistent` when it also agrees with the
 * birth year and sex read beside it (or those are unknown). The 9-digit CMND has no structure.
 */
export function idFit(
  id: string,
  person: { dob: string | null; sex: 'M' | 'F' | null },
  now: Date,
): 'consistent' | 'possible' | 'impossible' {
  const a = analyzeIdNumber(id);
  if (a.kind === 'cmnd9') return 'consistent';
  if (a.kind !== 'id12' || !a.provinceValid) return 'impossible';
  if (Number(id[3]) > 3 || a.birthYear! > now.getUTCFullYear()) return 'impossible';
  if (person.dob && Number(person.dob.slice(0, 4)) !== a.birthYear) return 'possible';
  if (person.sex && person.sex !== a.sex) return 'possible';
  return 'consistent';
}

/**
 * The `want`-digit numbers an OCR'd line may hold: the digits themselves, or, with one digit too
 * many (OCR inserts a digit where glare breaks a stroke), each way of dropping one. Letters the
 * English reader's MRZ alphabet substitutes for digits are mapped back.
 */
export function idCandidates(text: string, want: number): string[] {
  const digits = text
    .toUpperCase()
    .replace(/[ODQ]/g, '0')
    .replace(/[IL|]/g, '1')
    .replace(/Z/g, '2')
    .replace(/S/g, '5')
    .replace(/B/g, '8')
    .replace(/\D/g, '');
  if (digits.length === want) return [digits];
  if (digits.length !== want + 1) return [];
  return [
    ...new Set(Array.from({ length: digits.length }, (_, i) => digits.slice(0, i) + digits.slice(i + 1))),
  ];
}

/**
 * Reads the ID number again three more ways (local contrast equalisation; the English reader with
 * the MRZ alphabet, plain and equalised: a different model and page segmentation) and votes:
 * each reading's confidence is shared among its candidates that are possible, the candidates that
 * agree with the birth date and sex are preferred, and a close vote gives null rather than a guess.
 * The English reader's vote counts half: on the card's bold digits it reads 8 as 3 and 3 as 1 with
 * full confidence (on 256 eval ID fields its equalised reading was wrong 4 times where the `vie` one
 * was right, never the other way), so alone it must not outvote the `vie` reading into a null.
 */
async function rereadIdNumber(
  flat: RawImage,
  f: FieldLayout,
  first: OcrValue,
  want: number,
  person: { dob: string | null; sex: 'M' | 'F' | null },
  now: Date,
  /** The same box already read after CLAHE. */
  equalizedRead: OcrValue | null = null,
): Promise<OcrValue> {
  const ocr = await getOcr();
  const box: Box = [f.box[0] - 6, f.box[1] - 4, f.box[2] + 12, f.box[3] + 8];
  const [plain, equalized] = await Promise.all([toPng(flat, box), toPng(flat, box, true)]);
  const [again, engPlain, engEqualized] = await Promise.all([
    equalizedRead
      ? { text: equalizedRead.raw, confidence: equalizedRead.confidence * 100 }
      : ocr.line(equalized),
    ocr.mrz(plain),
    ocr.mrz(equalized),
  ]);
  const reads = [
    { text: first.raw, confidence: first.confidence * 100, weight: 1 },
    { ...again, weight: 1 },
    { ...engPlain, weight: 0.5 },
    { ...engEqualized, weight: 0.5 },
  ];
  const votes = new Map<string, { score: number; confidence: number; fit: 'consistent' | 'possible' }>();
  for (const r of reads) {
    const cands = idCandidates(r.text, want)
      .map((c) => ({ c, fit: idFit(c, person, now) }))
      .filter((x) => x.fit !== 'impossible');
    for (const { c, fit } of cands) {
      const v = votes.get(c) ?? { score: 0, confidence: 0, fit: fit as 'consistent' | 'possible' };
      v.score += (r.weight * r.confidence) / 100 / cands.length;
      v.confidence = Math.max(v.confidence, r.confidence / 100);
      votes.set(c, v);
    }
  }
  const all = [...votes.entries()];
  const pool = all.some(([, v]) => v.fit === 'consistent')
    ? all.filter(([, v]) => v.fit === 'consistent')
    : all;
  pool.sort((a, b) => b[1].score - a[1].score);
  const [best, second] = pool;
  const raw = reads.map((r) => r.text.trim()).join(' | ');
  if (!best)
    return { value: null, confidence: 0, raw, reason: 'no reading of the ID number is a possible number' };
  if (second && second[1].score > 0.75 * best[1].score) {
    return { value: null, confidence: 0, raw, reason: 'readings of the ID number disagree' };
  }
  return { value: best[0], confidence: best[1].confidence, raw };
}

/** The MRZ in the bottom 30 % (`from` 0.7) of an upright flattened card or passport page. */
async function readMrzStrip(
  flat: RawImage,
  now: Date,
  timings: Record<string, number>,
  from = 0.7,
): Promise<MrzData | null> {
  const t = performance.now();
  const top = Math.round(flat.height * from);
  const strip: Box = [0, top, flat.width, flat.height - top];
  const ocr = await getOcr();
  const text = (await ocr.mrz(await toPng(flat, strip))).text;
  let mrz = readMrzText(text, now);
  // An MRZ whose check digits do not all verify, or whose 12-digit ID does not end in the document
  // number, or filler text that did not make MRZ lines (glare over a line's start), is read once
  // more after CLAHE. The second reading replaces the first only when it is wholly consistent: the
  // composite digit alone passes one misread in ten (a shifted ID read 041993892977 for doc number
  // 199389297 passed it and refused a good pair as two cards). A strip without filler (a card
  // without an MRZ) is not read again.
  const trusted = (d: MrzData | null): d is MrzData =>
    !!d && d.valid && (d.format !== 'TD1' || !d.idNumber || d.idNumber.endsWith(d.documentNumber ?? '-'));
  if (mrz ? !trusted(mrz) : text.includes('<<')) {
    const again = readMrzText((await ocr.mrz(await toPng(flat, strip, true))).text, now);
    if (trusted(again)) mrz = again;
  }
  timings.mrz = (timings.mrz ?? 0) + performance.now() - t;
  return mrz;
}

/**
 * A passport data page whose title is not where the Vietnamese passport prints it (another
 * country's passport, or a title lost to glare): a TD3 MRZ of a "P" document with two of its three
 * field check digits verifying says passport, upright or turned 180°. Only a Vietnamese
 * passport's printed fields follow the layout read by OCR; another country's come from its MRZ.
 */
async function passportByMrz(
  flat: RawImage,
  photo: RawImage,
  now: Date,
  timings: Record<string, number>,
): Promise<Classified | null> {
  // Two of the three field check digits: one misread (a document number's O for 0) still says passport.
  const isPassport = (mrz: MrzData | null): mrz is MrzData =>
    mrz?.format === 'TD3' &&
    !!mrz.documentCode?.startsWith('P') &&
    ['documentNumberCheckDigit', 'birthDateCheckDigit', 'expirationDateCheckDigit'].filter(
      (k) => mrz.checks[k],
    ).length >= 2;
  const order = likelyUpright(flat) ? [false, true] : [true, false];
  for (const flip of order) {
    // The flattened page's MRZ band; else the photo's bottom 35 %, as the page outline found may be
    // another rectangle on it (the photo, a printed frame) while the page fills the photo.
    let mrz = await readMrzStrip(flip ? rotate90(flat, 2) : flat, now, timings);
    if (!isPassport(mrz)) mrz = await readMrzStrip(flip ? rotate90(photo, 2) : photo, now, timings, 0.65);
    if (isPassport(mrz))
      return { type: 'passport', side: 'front', flip, mrz, mrzOnly: mrz.issuingState !== 'VNM' };
  }
  return null;
}

/**
 * A printed name the MRZ on the same page contradicts (the MRZ has no diacritics, so it can only
 * confirm) is read again with local contrast equalisation, and the reading the MRZ confirms wins.
 * A family name OCR lost entirely comes back from the MRZ surname when exactly one common family
 * name folds to it. A name the MRZ contradicts whose two readings differ too is null.
 */
async function nameByMrz(
  flat: RawImage,
  f: FieldLayout,
  first: OcrValue,
  mrz: MrzData,
  type: DocType,
): Promise<OcrValue> {
  if (!mrz.surname) return first;
  const want = foldKey(`${mrz.surname} ${mrz.givenNames ?? ''}`);
  const confirmed = (r: OcrValue) => r.value !== null && foldKey(r.value) === want;
  if (!first.value || confirmed(first)) return first;
  const again = await readField(flat, f, type, true);
  if (confirmed(again)) return again;
  for (const r of [first, again]) {
    const family = familyNameFor(mrz.surname);
    if (r.value && family && foldKey(`${mrz.surname} ${r.value}`) === want) {
      return { ...r, value: `${family} ${r.value}` };
    }
  }
  // The MRZ name has no check digit and is misread too (THANH<QUAN read THANI, DO read D0O): two
  // printed readings with the same letters stand against it (a mark read differently, OANH and
  // ƠANH, is no letter it could settle); two that differ are no name at all.
  if (!again.value || foldKey(again.value) !== foldKey(first.value)) {
    return { ...first, value: null, reason: 'the printed name disagrees with the MRZ and between readings' };
  }
  return first;
}

/** A side after the first phase: card found, flattened, upright, its QR read and its type known. */
interface LocatedSide {
  label: string;
  buf: Buffer;
  imgSize: [number, number];
  loc: ReturnType<typeof findCard>;
  corners: Point[];
  flat: RawImage;
  outW: number;
  outH: number;
  cls: NonNullable<Awaited<ReturnType<typeof classify>>>;
  qr: CccdQrData | null;
  /** The printed fields, when already being read (a chip back recognised by its MRZ). */
  fields: Promise<Partial<Record<FieldName, OcrValue>>> | undefined;
}

/**
 * Printed fields to OCR: those no QR code (on either side) gives, plus the name (the QR-vs-print
 * cross-check) and, on a side without the QR, the ID number (ties that side to the QR's card).
 */
function fieldsToRead(layout: Layout, known: CccdQrData | null, ownQr: CccdQrData | null): FieldLayout[] {
  const given = (f: FieldName) =>
    known !== null && (known as unknown as Record<string, string | null>)[f] != null;
  return layout.fields.filter(
    (f) => !given(f.field) || f.field === 'full_name' || (f.field === 'id_number' && !ownQr),
  );
}

/**
 * First phase of one side. For the back, `expectChipBack` resolves to the front's QR when the front is
 * a chip CCCD front: then a card without a QR code is first read as that card's back by its MRZ
 * (needed anyway), which, when its check digits verify, settles type and orientation without reading
 * any title.
 */
async function locateSide(
  buf: Buffer,
  timings: Record<string, number>,
  label: string,
  now: Date,
  expectChipBack: Promise<CccdQrData | null> | null,
  turn: { wait?: Promise<void>; done?: () => void },
): Promise<LocatedSide> {
  try {
    return await locate(buf, timings, label, now, expectChipBack, turn);
  } finally {
    turn.done?.();
  }
}

async function locate(
  buf: Buffer,
  timings: Record<string, number>,
  label: string,
  now: Date,
  expectChipBack: Promise<CccdQrData | null> | null,
  turn: { wait?: Promise<void>; done?: () => void },
): Promise<LocatedSide> {
  let t = performance.now();
  const img = await decodeImage(buf, { maxSide: 1600, minSide: 200 });
  const raw: RawImage = { data: img.data, width: img.width, height: img.height, channels: 3 };
  timings[`${label}_decode`] = performance.now() - t;
  await turn.wait;
  t = performance.now();
  const loc = findCard(raw);
  const corners = longSideFirst(loc.corners);
  const top = Math.hypot(corners[1]![0] - corners[0]![0], corners[1]![1] - corners[0]![1]);
  const left = Math.hypot(corners[3]![0] - corners[0]![0], corners[3]![1] - corners[0]![1]);
  // Perspective distorts the measured aspect ratio: try the likelier format first, then the other.
  const passportFirst = top / Math.max(1, left) < 1.47;
  const formats: [number, number][] = passportFirst
    ? [
        [PASSPORT_W, PASSPORT_H],
        [CARD_W, CARD_H],
      ]
    : [
        [CARD_W, CARD_H],
        [PASSPORT_W, PASSPORT_H],
      ];
  timings[`${label}_find`] = performance.now() - t;
  let cls: Awaited<ReturnType<typeof classify>> = null;
  let flat: RawImage | undefined;
  let hit: Awaited<ReturnType<typeof readQr>> = null;
  let outW = CARD_W;
  let outH = CARD_H;
  let turned = false;
  let fields: Promise<Partial<Record<FieldName, OcrValue>>> | undefined;
  for (const [fw, fh] of formats) {
    t = performance.now();
    outW = fw;
    outH = fh;
    flat = flatten(raw, corners, outW, outH);
    timings[`${label}_flatten`] = (timings[`${label}_flatten`] ?? 0) + performance.now() - t;
    t = performance.now();
    let qrCenter: Point | null = null;
    if (fw === CARD_W) {
      hit = await readQrOnCard(flat);
      qrCenter = hit ? hit.center : null;
      // On the whole frame only when no card outline was found.
      if (!hit && !loc.found) {
        hit = await readQr(raw);
        if (hit) {
          const H = homography(corners, [
            [0, 0],
            [outW - 1, 0],
            [outW - 1, outH - 1],
            [0, outH - 1],
          ]);
          qrCenter = applyH(H, hit.center[0], hit.center[1]);
        }
      }
    }
    timings[`${label}_qr`] = (timings[`${label}_qr`] ?? 0) + performance.now() - t;
    t = performance.now();
    if (!qrCenter && fw === CARD_W && expectChipBack) {
      // Started before the front's answer arrives; discarded if the front is not a chip CCCD.
      const flip = !likelyUpright(flat);
      const upright = flip ? rotate90(flat, 2) : flat;
      const early = readMrzStrip(upright, now, timings).catch(() => null);
      turn.done?.();
      const frontQr = await expectChipBack;
      // The chip back's printed fields are read while the MRZ is, on the other workers; discarded
      // (like the MRZ) if the MRZ does not make this the chip card's back.
      if (frontQr) {
        const layout = layoutOf('cccd_chip', 'back');
        fields = ocrFields(upright, fieldsToRead(layout, frontQr, null), layout.type, now, frontQr);
        fields.catch(() => {});
      }
      const mrz = frontQr ? await early : null;
      if (
        mrz &&
        (mrz.valid || (mrz.checks.documentNumberCheckDigit && mrz.checks.birthDateCheckDigit && mrz.idNumber))
      ) {
        cls = { type: 'cccd_chip', side: 'back', flip, mrz };
        flat = upright;
        turned = true;
        timings[`${label}_classify`] = (timings[`${label}_classify`] ?? 0) + performance.now() - t;
        break;
      }
      fields = undefined;
    }
    turn.done?.();
    cls = await classify(flat, qrCenter);
    if (!cls && fw === PASSPORT_W) cls = await passportByMrz(flat, raw, now, timings);
    timings[`${label}_classify`] = (timings[`${label}_classify`] ?? 0) + performance.now() - t;
    if (cls) break;
  }
  if (!cls || !flat)
    throw documentError('ERR_DOCUMENT_NOT_FOUND', `no identity document recognised in the ${label} image`);
  if (cls.flip && !turned) flat = rotate90(flat, 2);
  let qr: CccdQrData | null = null;
  if (hit) {
    const p = parseCccdQr(hit.text, 'lenient');
    if (p.ok) qr = p.data;
  }
  return { label, buf, imgSize: [img.width, img.height], loc, corners, flat, outW, outH, cls, qr, fields };
}

/**
 * Second phase: the MRZ and the printed fields. Fields a QR code (on either side) already gives are
 * not read again, except the name, read as the QR-vs-print cross-check, and the ID number on a side
 * without the QR, which ties that side to the QR's card.
 */
async function readSide(
  s: LocatedSide,
  known: CccdQrData | null,
  timings: Record<string, number>,
  now: Date,
): Promise<SideAnalysis> {
  const { label, flat, outW, outH, cls, loc } = s;
  let mrz = cls.mrz;
  // The back of a 12-digit CCCD: an MRZ makes it the chip card's back.
  const mayHaveMrz = !mrz && (cls.type === 'passport' || (cls.side === 'back' && cls.type !== 'cmnd'));
  const t = performance.now();
  const mrzRead = mayHaveMrz ? readMrzStrip(flat, now, timings) : Promise.resolve(null);
  if (cls.type === 'cccd' && cls.side === 'back') {
    mrz = await mrzRead;
    if (mrz && Object.values(mrz.checks).some(Boolean)) cls.type = 'cccd_chip';
  }
  const layout = layoutOf(cls.type, cls.side);
  const [ocr, mrzLate] = await Promise.all([
    s.fields ??
      (cls.mrzOnly
        ? ({} as Partial<Record<FieldName, OcrValue>>)
        : ocrFields(flat, fieldsToRead(layout, known, s.qr), layout.type, now, known)),
    mrzRead,
  ]);
  mrz ??= layout.mrz ? mrzLate : null;
  const nameField = layout.fields.find((f) => f.field === 'full_name');
  if (mrz && nameField && ocr.full_name)
    ocr.full_name = await nameByMrz(flat, nameField, ocr.full_name, mrz, layout.type);
  timings[`${label}_ocr`] = performance.now() - t;
  const tq = performance.now();
  const quality = measureQuality(flat, layout, loc.coverage, loc.found);
  timings[`${label}_quality`] = performance.now() - tq;
  const toImage = await imageMapper(s);
  const portrait = layout.photo ? toImage.box(layout.photo) : null;
  const boxes: Partial<Record<FieldName, Box>> = {};
  for (const f of layout.fields) boxes[f.field] = toImage.box(f.box);
  const cardCorners: [Point, Point, Point, Point] = [
    toImage.point(0, 0),
    toImage.point(outW - 1, 0),
    toImage.point(outW - 1, outH - 1),
    toImage.point(0, outH - 1),
  ];
  return {
    type: cls.type,
    side: cls.side,
    layout,
    qr: s.qr,
    mrz,
    ocr,
    quality,
    touchesEdge: loc.touchesEdge,
    portrait,
    boxes,
    corners: cardCorners,
    mrzOnly: !!cls.mrzOnly,
  };
}

/**
 * Maps the upright flattened card's pixels back to the uploaded image's pixels, in the orientation
 * a browser shows it (EXIF orientation applied): the inverse of the flattening homography (and of
 * the 180° turn), then undoing the working downscale.
 */
async function imageMapper(
  s: LocatedSide,
): Promise<{ point(x: number, y: number): Point; box(b: Box): Box }> {
  const { corners, outW, outH, cls } = s;
  const H = homography(
    [
      [0, 0],
      [outW - 1, 0],
      [outW - 1, outH - 1],
      [0, outH - 1],
    ],
    cls.flip ? [corners[2]!, corners[3]!, corners[0]!, corners[1]!] : corners,
  );
  const meta = await sharp(s.buf).metadata();
  const swap = (meta.orientation ?? 1) >= 5;
  const W = (swap ? meta.height : meta.width) ?? s.imgSize[0];
  const Hgt = (swap ? meta.width : meta.height) ?? s.imgSize[1];
  const k = W / s.imgSize[0];
  // Pixel centres: decoded pixel i covers uploaded pixels [i·k, (i+1)·k).
  const point = (x: number, y: number): Point => {
    const [u, v] = applyH(H, x, y);
    return [Math.round(((u + 0.5) * k - 0.5) * 10) / 10, Math.round(((v + 0.5) * k - 0.5) * 10) / 10];
  };
  const box = ([bx, by, bw, bh]: Box): Box => {
    const pts = [point(bx, by), point(bx + bw, by), point(bx + bw, by + bh), point(bx, by + bh)];
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const x0 = Math.max(0, Math.floor(Math.min(...xs)));
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const x1 = Math.min(W, Math.ceil(Math.max(...xs)));
    const y1 = Math.min(Hgt, Math.ceil(Math.max(...ys)));
    return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
  };
  return { point, box };
}

/**
 * The 12-digit ID an MRZ gives: a card's when the document number's check digit verifies and the
 * ID ends in it (those are its last nine digits); only the composite covers the province code, so
 * without the composite (a line lost to glare) the code must exist. A passport's when all verify.
 */
export function mrzIdNumber(mrz: MrzData): string | null {
  const id = mrz.idNumber;
  if (!id) return null;
  if (mrz.format === 'TD3') return mrz.valid ? id : null;
  if (!mrz.checks.documentNumberCheckDigit || !id.endsWith(mrz.documentNumber ?? '-')) return null;
  return mrz.checks.compositeCheckDigit || analyzeIdNumber(id).provinceValid ? id : null;
}

/** Fields a Vietnamese card's MRZ gives (its name has no marks: it only confirms the printed one). */
const MRZ_FIELDS = new Set<FieldName>(['id_number', 'date_of_birth', 'date_of_expiry', 'sex']);

const agree = (a: string, b: string, loose: boolean) => (loose ? foldKey(a) === foldKey(b) : a === b);

export interface ReadInput {
  front: Buffer;
  back?: Buffer | undefined;
  now: Date;
}

/** Reads one document from its front (and optional back) photo. */
export async function readDocument(input: ReadInput): Promise<DocumentReadResult> {
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  // Both sides at once: one side's image work on the main thread overlaps the other's OCR in the
  // tesseract workers. The back's MRZ read is the longest job, so the back's image work goes first
  // (both decode at once, off the main thread) and the front's runs while the MRZ is read. The
  // front's failure is reported first.
  let backTurnDone = () => {};
  const backTurn = input.back
    ? new Promise<void>((resolve) => {
        backTurnDone = resolve;
      })
    : undefined;
  const frontLocated = locateSide(input.front, timings, 'front', input.now, null, { wait: backTurn });
  const backLocated = input.back
    ? locateSide(
        input.back,
        timings,
        'back',
        input.now,
        frontLocated.then(
          (f) => (f.cls.type === 'cccd_chip' && f.cls.side === 'front' ? f.qr : null),
          () => null,
        ),
        { done: backTurnDone },
      )
    : null;
  // Each side's fields are read as soon as it is located and the QR it may lean on is known (its
  // own, else the other side's), so the front's reads overlap the back's MRZ.
  const qrOf = (p: Promise<LocatedSide> | null) => p?.then((x) => x.qr).catch(() => null) ?? null;
  const read = async (own: Promise<LocatedSide>, other: Promise<LocatedSide> | null) => {
    const s = await own;
    return readSide(s, s.qr ?? (await qrOf(other)), timings, input.now);
  };
  const settled = await Promise.allSettled([
    read(frontLocated, backLocated),
    backLocated ? read(backLocated, frontLocated) : null,
  ]);
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const [front, back] = settled.map((r) => (r as PromiseFulfilledResult<SideAnalysis | null>).value) as [
    SideAnalysis,
    SideAnalysis | null,
  ];
  const sides = [front, ...(back ? [back] : [])];
  const checks: Check[] = [];
  // Same card: the two images must be two different sides of one document type…
  if (back) {
    const compatible =
      front.type === back.type ||
      (front.type === 'cccd' && back.type === 'cccd_chip') ||
      (front.type === 'cccd_chip' && back.type === 'cccd');
    if (!compatible || front.side === back.side) {
      throw documentError(
        'ERR_DOCUMENT_SIDES_MISMATCH',
        `front is ${front.type} ${front.side}, back is ${back.type} ${back.side}`,
      );
    }
  }
  let type = front.type;
  if (back && (front.type === 'cccd' || front.type === 'cccd_chip')) {
    type = front.type === 'cccd_chip' || back.type === 'cccd_chip' || back.mrz ? 'cccd_chip' : 'cccd';
  }
  const qr = sides.find((s) => s.qr)?.qr ?? null;
  const mrz = sides.find((s) => s.mrz)?.mrz ?? null;
  const foreign = sides.some((s) => s.mrzOnly);
  const ocrOf = (f: FieldName): OcrValue | undefined => {
    for (const s of sides) if (s.ocr[f]) return s.ocr[f];
    return undefined;
  };
  // Where a field is printed: on the side its OCR reading came from, else the first side that prints it.
  const whereOf = (f: FieldName): { box: Box; side: Side } | undefined => {
    const s = sides.find((x) => x.ocr[f] && x.boxes[f]) ?? sides.find((x) => x.boxes[f]);
    return s ? { box: s.boxes[f]!, side: s.side } : undefined;
  };
  const printed = new Set<FieldName>();
  for (const s of [layoutOf(type === 'cccd' && back?.type === 'cccd_chip' ? 'cccd_chip' : type, 'front')]) {
    for (const f of s.fields) printed.add(f.field);
  }
  if (type !== 'passport') for (const f of layoutOf(type, 'back').fields) printed.add(f.field);
  if (qr) for (const k of Object.keys(qr)) printed.add(k as FieldName);
  const fields: Partial<Record<FieldName, FieldResult>> = {};
  const mismatches: { qr: string[]; mrz: string[] } = { qr: [], mrz: [] };
  // Each MRZ field counts only when its own check digit verifies (sex: when both dates do).
  const ok = (k: string) => mrz?.checks[k] === true;
  const mrzValue = (f: FieldName): string | null => {
    if (!mrz) return null;
    switch (f) {
      case 'id_number':
        return mrzIdNumber(mrz);
      case 'passport_number':
        return mrz.format === 'TD3' && ok('documentNumberCheckDigit') ? mrz.documentNumber : null;
      case 'date_of_birth':
        return ok('birthDateCheckDigit') ? mrz.birthDate : null;
      case 'date_of_expiry':
        return ok('expirationDateCheckDigit') ? mrz.expiryDate : null;
      case 'sex':
        return ok('birthDateCheckDigit') && ok('expirationDateCheckDigit') ? mrz.sex : null;
      case 'full_name': {
        const name = mrz.surname ? `${mrz.surname} ${mrz.givenNames ?? ''}`.trim() : null;
        // Three of a letter in a row is the filler misread (KOWALSKACCANNACCCCC…), not a name.
        return name && !/([A-Z])\1\1/.test(name) ? name : null;
      }
      case 'nationality':
        // No check digit covers it: taken when every check digit verifies.
        return foreign && Object.values(mrz.checks).every(Boolean) ? mrz.nationality : null;
      default:
        return null;
    }
  };
  for (const f of printed) {
    const ocr = ocrOf(f);
    const qv = qr ? ((qr as unknown as Record<string, string | null>)[f] ?? null) : null;
    const mv = mrzValue(f);
    const loose = f === 'full_name' || f === 'place_of_residence';
    const cands: { v: string; s: Source; c: number }[] = [];
    if (qv) cands.push({ v: qv, s: 'qr', c: 0.97 });
    // The MRZ name has no diacritics: it confirms a Vietnamese name, never supplies one. Another
    // country's passport is read from its MRZ alone (its printed name is the MRZ's, transliterated).
    // No check digit covers a name: an MRZ name is less sure than a verified MRZ field.
    if (mv && (f !== 'full_name' || foreign))
      cands.push({ v: mv, s: 'mrz', c: f === 'full_name' ? 0.8 : 0.95 });
    if (ocr?.value) cands.push({ v: ocr.value, s: 'ocr', c: Math.min(0.9, ocr.confidence * 0.9) });
    if (qv && ocr?.value && !agree(qv, ocr.value, loose)) mismatches.qr.push(f);
    const other = qv ?? ocr?.value ?? null;
    if (mv && other && !agree(mv, other, true)) mismatches.mrz.push(f);
    const best = cands[0];
    if (!best) {
      const sent = layoutOf(front.type, front.side);
      const absentSide = !back && !sent.fields.some((x) => x.field === f) && !qv;
      const inMrz = !!sent.mrz && MRZ_FIELDS.has(f);
      fields[f] = {
        value: null,
        confidence: 0,
        sources: [],
        reason: absentSide
          ? inMrz
            ? mrz
              ? 'the MRZ is misread here: its check digits do not verify this field'
              : 'the MRZ is unreadable'
            : 'printed on the side that was not sent'
          : foreign
            ? f === 'full_name' && mrz?.surname
              ? 'the MRZ name did not read cleanly'
              : "not in the MRZ, the only part of another country's passport read"
            : (ocr?.reason ?? 'unreadable'),
        ...whereOf(f),
      };
      continue;
    }
    const sources = cands.filter((c) => agree(c.v, best.v, loose)).map((c) => c.s);
    if (f === 'full_name' && mv && !sources.includes('mrz') && agree(mv, best.v, true)) sources.push('mrz');
    const confidence = sources.length >= 2 ? 0.99 : best.c;
    let value = best.v;
    if (f === 'place_of_residence' && qv) value = qv;
    fields[f] = { value, confidence: Number(confidence.toFixed(3)), sources, ...whereOf(f) };
  }
  if (type === 'passport' && !foreign && fields.nationality?.value) fields.nationality.value = 'VNM';
  // Checks.
  const id = fields.id_number?.value ?? null;
  const sex = (fields.sex?.value as 'M' | 'F' | undefined) ?? null;
  const dob = fields.date_of_birth?.value ?? null;
  if (id) {
    const a = analyzeIdNumber(id);
    checks.push({
      code: 'ID_NUMBER_STRUCTURE',
      status:
        a.kind === 'invalid'
          ? 'fail'
          : a.kind === 'cmnd9'
            ? 'not_applicable'
            : a.provinceValid
              ? 'pass'
              : 'fail',
      detail: a.kind === 'id12' ? a.problems.join('; ') || `province ${a.province}` : a.kind,
    });
    checks.push({ code: 'ID_NUMBER_MATCHES_BIRTH', ...idMatchesPerson(id, sex, dob) });
  } else {
    checks.push({ code: 'ID_NUMBER_STRUCTURE', status: 'not_applicable', detail: 'no ID number read' });
  }
  checks.push(
    qr
      ? {
          code: 'QR_MATCHES_OCR',
          status: mismatches.qr.length ? 'fail' : 'pass',
          detail: mismatches.qr.length
            ? `disagree: ${mismatches.qr.join(', ')}`
            : 'QR and printed fields agree',
        }
      : { code: 'QR_MATCHES_OCR', status: 'not_applicable', detail: 'no QR code read' },
  );
  if (mrz) {
    const failed = Object.entries(mrz.checks)
      .filter(([, ok]) => !ok)
      .map(([k]) => k);
    checks.push({
      code: 'MRZ_CHECK_DIGITS',
      status: mrz.valid ? 'pass' : 'fail',
      detail: mrz.valid
        ? 'all check digits and the composite verify'
        : `failed: ${failed.join(', ') || 'the check digits verify, but a field is not well formed'}`,
    });
    checks.push({
      code: 'MRZ_MATCHES_FIELDS',
      status: mismatches.mrz.length ? 'fail' : 'pass',
      detail: mismatches.mrz.length
        ? `disagree: ${mismatches.mrz.join(', ')}`
        : 'MRZ agrees with QR/printed fields',
    });
  } else {
    const expected = sides.some((s) => s.layout.mrz);
    checks.push({
      code: 'MRZ_CHECK_DIGITS',
      status: expected ? 'warn' : 'not_applicable',
      detail: expected ? 'MRZ present but not readable' : 'no MRZ on the sides sent',
    });
  }
  const today = toIsoDate(input.now);
  const expiry = fields.date_of_expiry?.value ?? null;
  checks.push(
    expiry
      ? {
          code: 'CARD_EXPIRED',
          status: expiry < today ? 'fail' : 'pass',
          detail: expiry < today ? 'the document has expired' : 'the document is within its validity',
        }
      : { code: 'CARD_EXPIRED', status: 'not_applicable', detail: 'no expiry date read' },
  );
  const issue = fields.date_of_issue?.value ?? null;
  if ((type === 'cccd_chip' || type === 'cccd' || type === 'can_cuoc') && dob && issue && expiry) {
    const want = expectedExpiry(type === 'can_cuoc' ? 'can_cuoc' : 'cccd', dob, issue);
    checks.push({
      code: 'EXPIRY_MATCHES_AGE_MILESTONE',
      status: want === expiry ? 'pass' : 'warn',
      detail:
        want === expiry ? 'expiry follows the 25/40/60 rule' : 'expiry differs from the age-milestone rule',
    });
  } else {
    checks.push({
      code: 'EXPIRY_MATCHES_AGE_MILESTONE',
      status: 'not_applicable',
      detail: 'needs birth, issue and expiry dates',
    });
  }
  if (back) {
    const frontId = front.qr?.id_number ?? front.ocr.id_number?.value ?? null;
    const backId = back.qr?.id_number ?? back.mrz?.idNumber ?? null;
    if (frontId && backId && frontId !== backId) {
      throw documentError('ERR_DOCUMENT_SIDES_MISMATCH', 'the ID numbers on the front and back differ');
    }
    checks.push({
      code: 'SIDES_SAME_CARD',
      status: frontId && backId ? 'pass' : 'not_applicable',
      detail: frontId && backId ? 'front and back carry the same ID number' : 'no ID number on both sides',
    });
  }
  const q = sides.map((s) => s.quality);
  const quality: Quality = {
    blur: Math.min(...q.map((x) => x.blur)),
    glare: Math.max(...q.map((x) => x.glare)),
    card_coverage: Math.min(...q.map((x) => x.card_coverage)),
    corners_found: q.every((x) => x.corners_found),
    greyscale: Math.max(...q.map((x) => x.greyscale)),
    moire: Math.max(...q.map((x) => x.moire)),
  };
  const problems: string[] = [];
  if (quality.blur < 0.05) problems.push('blurred');
  if (quality.glare > 0.02) problems.push('glare over fields');
  if (quality.corners_found && quality.card_coverage < 0.2) problems.push('card too small');
  if (sides.some((s) => s.touchesEdge && s.quality.corners_found)) problems.push('corners cut off');
  checks.push({
    code: 'IMAGE_QUALITY',
    status: problems.length ? 'warn' : 'pass',
    detail: problems.length ? problems.join('; ') : 'sharp, no glare, card fully in frame',
  });
  checks.push({
    code: 'LIKELY_PHOTOCOPY',
    status: quality.greyscale > 0.8 ? 'warn' : 'pass',
    detail: 'greyscale score',
    score: quality.greyscale,
  });
  checks.push({
    code: 'LIKELY_SCREEN_RECAPTURE',
    status: quality.moire > 0.5 ? 'warn' : 'pass',
    detail: 'moiré score',
    score: quality.moire,
  });
  timings.total = performance.now() - t0;
  for (const k of Object.keys(timings)) timings[k] = Math.round(timings[k]!);
  return {
    document: {
      type,
      sides: sides.map((s) => s.side),
      corners: Object.fromEntries(sides.map((s) => [s.side, s.corners])),
    },
    fields,
    checks,
    portrait: front.portrait ? { box: front.portrait } : null,
    quality,
    timings_ms: timings,
  };
}
