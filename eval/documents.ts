/**
 * `npm run eval -- documents [--n 16] [--seed 1] [--levels moderate] [--types cccd,cmnd] [--no-baseline]
 * [--failures]`: renders `--n` synthetic cards per cell (8 document sides × 3 degradation levels),
 * reads each with the engine and with the baseline (plain tesseract `vie` on the whole image + regex)
 * side by side in the same run, and prints exact match and character error rate per side and level,
 * then per field and level. `--failures` lists every wrong field on stderr. Then the MRZ parse cases
 * and PassportEye's real specimen photos read by the engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { baselineRead, baselineWorker } from '../src/ekyc/document/baseline.ts';
import type { DocType, Side } from '../src/ekyc/document/layouts.ts';
import { layoutOf } from '../src/ekyc/document/layouts.ts';
import { parseMrz } from '../src/ekyc/document/mrz.ts';
import { getOcr } from '../src/ekyc/document/ocr.ts';
import { readDocument } from '../src/ekyc/document/reader.ts';
import { sharedDataPath } from '../src/ekyc/document/shared-data.ts';
import {
  type Degradation,
  type Person,
  photograph,
  qrPayload,
  randomPerson,
  renderCard,
} from '../test/fixtures/cards/render.ts';

const SIDES: [DocType, Side][] = [
  ['cccd_chip', 'front'],
  ['cccd_chip', 'back'],
  ['cccd', 'front'],
  ['can_cuoc', 'front'],
  ['can_cuoc', 'back'],
  ['cmnd', 'front'],
  ['cmnd', 'back'],
  ['passport', 'front'],
];
const LEVELS: Degradation[] = ['clean', 'moderate', 'hard'];
const KEY_FIELDS = ['id_number', 'full_name', 'date_of_birth', 'sex', 'date_of_expiry'] as const;

function levenshtein(a: string, b: string): number {
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

/** The truth for the fields that this side shows (printed, or in its QR). */
function truthFor(p: Person, type: DocType, side: Side): Record<string, string> {
  const out: Record<string, string> = {};
  const L = layoutOf(type, side);
  for (const f of L.fields) {
    const v =
      f.field === 'id_number' && type === 'cmnd'
        ? p.cmnd_number
        : f.field === 'nationality'
          ? null
          : ((p as unknown as Record<string, string | null>)[f.field] ?? null);
    if (v) out[f.field] = v;
  }
  if (L.qr) {
    out.id_number = p.id_number;
    out.full_name = p.full_name;
    out.date_of_birth = p.date_of_birth;
    out.sex = p.sex;
  }
  if (L.mrz) {
    out.id_number ??= p.id_number;
    out.date_of_birth ??= p.date_of_birth;
    out.sex ??= p.sex;
    out.date_of_expiry ??= p.date_of_expiry;
  }
  void qrPayload;
  return out;
}

interface Tally {
  n: number;
  exact: Record<string, [number, number]>;
  /** Per field: character errors, characters. */
  cer: Record<string, [number, number]>;
  chars: number;
  errors: number;
  fieldsTotal: number;
  fieldsWrong: number;
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}` : '–');

export async function run(args: string[]) {
  const arg = (k: string, d: number) => {
    const i = args.indexOf(`--${k}`);
    return i >= 0 ? Number(args[i + 1]) : d;
  };
  const perCell = arg('n', 16);
  const total = perCell * SIDES.length * LEVELS.length;
  const seed0 = arg('seed', 1);
  const skipBaseline = args.includes('--no-baseline');
  const only = (k: string) => {
    const i = args.indexOf(`--${k}`);
    return i >= 0 ? (args[i + 1] ?? '').split(',') : null;
  };
  const levels = only('levels');
  const types = only('types');
  const showFailures = args.includes('--failures');
  await getOcr();
  if (!skipBaseline) await baselineWorker();
  const now = new Date('2026-11-24T00:00:00Z');
  const tallies = new Map<string, { ours: Tally; base: Tally }>();
  const blank = (): Tally => ({
    n: 0,
    exact: {},
    cer: {},
    chars: 0,
    errors: 0,
    fieldsTotal: 0,
    fieldsWrong: 0,
  });
  const score = (t: Tally, truth: Record<string, string>, got: Record<string, string | null>) => {
    t.n++;
    for (const [f, v] of Object.entries(truth)) {
      const g = got[f] ?? '';
      t.exact[f] ??= [0, 0];
      const e = t.exact[f];
      e[1]++;
      if (g === v) e[0]++;
      t.fieldsTotal++;
      if (g !== v) t.fieldsWrong++;
      const errors = Math.min(v.length, levenshtein(g, v));
      t.chars += v.length;
      t.errors += errors;
      t.cer[f] ??= [0, 0];
      t.cer[f][0] += errors;
      t.cer[f][1] += v.length;
    }
  };
  const started = performance.now();
  // Card i is side i % 8 at level ⌊i / 8⌋ % 3: each cell gets every 24th card.
  const cards = Array.from({ length: total }, (_, i) => i).filter((i) => {
    const [type] = SIDES[i % SIDES.length]!;
    const level = LEVELS[Math.floor(i / SIDES.length) % LEVELS.length]!;
    return (!levels || levels.includes(level)) && (!types || types.includes(type));
  });
  const prepare = async (i: number) => {
    const [type, side] = SIDES[i % SIDES.length]!;
    const level = LEVELS[Math.floor(i / SIDES.length) % LEVELS.length]!;
    const p = randomPerson(seed0 * 100003 + i, type);
    const photo = await photograph(await renderCard(p, type, side), level, seed0 * 31 + i);
    return { i, type, side, level, photo, truth: truthFor(p, type, side) };
  };
  let next = cards.length ? prepare(cards[0]!) : null;
  for (const [k] of cards.entries()) {
    const card = await next!;
    // The next card is drawn while this one is read; engine and baseline read at the same time.
    next = k + 1 < cards.length ? prepare(cards[k + 1]!) : null;
    const { i, type, side, level, photo, truth } = card;
    const key = `${type} ${side}|${level}`;
    const t = tallies.get(key) ?? { ours: blank(), base: blank() };
    tallies.set(key, t);
    type Got = Record<string, string | null>;
    const ours: Promise<Got> = readDocument({ front: photo.image, now }).then(
      (r) =>
        r.document.type === type || (type === 'cccd' && r.document.type === 'cccd_chip')
          ? Object.fromEntries(Object.entries(r.fields).map(([f, v]) => [f, v?.value ?? null]))
          : {},
      () => ({}),
    );
    const base: Promise<Got> = skipBaseline
      ? Promise.resolve({})
      : baselineRead(photo.image).catch(() => ({}));
    const [got, baseGot] = await Promise.all([ours, base]);
    score(t.ours, truth, got);
    if (!skipBaseline) score(t.base, truth, baseGot);
    if (showFailures) {
      for (const [f, v] of Object.entries(truth)) {
        if (got[f] !== v) console.error(`  miss #${i} ${key} ${f}: want ${v} got ${got[f] ?? 'null'}`);
      }
    }
    if ((k + 1) % 24 === 0) {
      process.stderr.write(
        `  ${k + 1}/${cards.length} cards, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      );
    }
  }
  const rows = [...tallies.entries()].sort();
  const header = `| side | level | n | ${KEY_FIELDS.map((f) => `${f} exact % (ours / base)`).join(' | ')} | field error % (ours / base) | CER % (ours / base) |`;
  console.log(header);
  console.log(
    `|${header
      .split('|')
      .slice(1, -1)
      .map(() => '---')
      .join('|')}|`,
  );
  const byLevel = new Map<string, { ours: Tally; base: Tally }>();
  const add = (a: Tally, b: Tally) => {
    a.n += b.n;
    a.chars += b.chars;
    a.errors += b.errors;
    a.fieldsTotal += b.fieldsTotal;
    a.fieldsWrong += b.fieldsWrong;
    for (const [f, [x, y]] of Object.entries(b.exact)) {
      a.exact[f] ??= [0, 0];
      const e = a.exact[f];
      e[0] += x;
      e[1] += y;
    }
    for (const [f, [x, y]] of Object.entries(b.cer)) {
      a.cer[f] ??= [0, 0];
      const e = a.cer[f];
      e[0] += x;
      e[1] += y;
    }
  };
  const line = (name: string, level: string, t: { ours: Tally; base: Tally }) => {
    const cells = KEY_FIELDS.map((f) => {
      const o = t.ours.exact[f];
      const b = t.base.exact[f];
      return o ? `${pct(o[0], o[1])} / ${b ? pct(b[0], b[1]) : '–'}` : '–';
    });
    console.log(
      `| ${name} | ${level} | ${t.ours.n} | ${cells.join(' | ')} | ${pct(t.ours.fieldsWrong, t.ours.fieldsTotal)} / ${pct(t.base.fieldsWrong, t.base.fieldsTotal)} | ${pct(t.ours.errors, t.ours.chars)} / ${pct(t.base.errors, t.base.chars)} |`,
    );
  };
  for (const [key, t] of rows) {
    const [name, level] = key.split('|') as [string, string];
    line(name, level, t);
    const agg = byLevel.get(level) ?? { ours: blank(), base: blank() };
    add(agg.ours, t.ours);
    add(agg.base, t.base);
    byLevel.set(level, agg);
  }
  for (const [level, t] of byLevel) line('**all**', level, t);
  console.log(
    '\n| field | level | n | exact % ours | exact % base | CER % ours | CER % base |\n|---|---|---|---|---|---|---|',
  );
  for (const [level, t] of byLevel) {
    for (const [f, [ok, n]] of Object.entries(t.ours.exact).sort()) {
      const b = t.base.exact[f];
      const co = t.ours.cer[f] ?? [0, 0];
      const cb = t.base.cer[f];
      console.log(
        `| ${f} | ${level} | ${n} | ${pct(ok, n)} | ${b ? pct(b[0], b[1]) : '–'} | ${pct(co[0], co[1])} | ${cb ? pct(cb[0], cb[1]) : '–'} |`,
      );
    }
  }
  console.log(`\n${cards.length} cards in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

  // MRZ parse cases.
  const cases = JSON.parse(readFileSync(sharedDataPath('mrz/cheminfo_mrz_cases.json'), 'utf8')) as Array<{
    mrz: string[] | string;
    options: { autocorrect?: boolean } | null;
    parsed: { format: string; valid: boolean } | null;
  }>;
  let agreeN = 0;
  let n = 0;
  for (const c of cases) {
    if (!c.parsed) continue;
    n++;
    const r = parseMrz(Array.isArray(c.mrz) ? c.mrz : c.mrz.split('\n'), now, {
      autocorrect: c.options?.autocorrect ?? false,
    });
    if (r && r.valid === c.parsed.valid && r.format === c.parsed.format) agreeN++;
  }
  console.log(`| MRZ parse cases | ${agreeN}/${n} agree on format and validity |\n|---|---|`);
  // PassportEye's real specimen photos, read by the engine as a user sends them (the front only):
  // the ground-truth pages field by field, the 34 unlabelled test images by what they say of
  // themselves (recognised as a passport, every MRZ check digit verifying).
  const peDir = sharedDataPath('mrz/passporteye_images');
  const gt = JSON.parse(readFileSync(path.join(peDir, 'ground_truth/ground_truth.json'), 'utf8')) as Array<{
    files: string[];
    fields: Record<string, string>;
  }>;
  const ymd = (v: string | undefined) =>
    v ? `${Number(v.slice(0, 2)) > 30 ? 19 : 20}${v.slice(0, 2)}-${v.slice(2, 4)}-${v.slice(4, 6)}` : '';
  console.log('\n| specimen (ground truth) | read as | fields exact |\n|---|---|---|');
  for (const g of gt) {
    const want: Record<string, string> = {
      passport_number: g.fields.documentNumber ?? '',
      full_name: `${g.fields.lastName ?? ''} ${g.fields.firstName ?? ''}`.trim(),
      nationality: g.fields.nationality ?? '',
      date_of_birth: ymd(g.fields.birthDate),
      sex: g.fields.sex ?? '',
      date_of_expiry: ymd(g.fields.expirationDate),
    };
    for (const file of g.files) {
      try {
        const r = await readDocument({ front: readFileSync(path.join(peDir, 'ground_truth', file)), now });
        const ok = Object.entries(want).filter(([f, v]) => r.fields[f as keyof typeof r.fields]?.value === v);
        const missed = Object.keys(want).filter((f) => !ok.some(([k]) => k === f));
        console.log(
          `| ${file} | ${r.document.type} | ${ok.length}/${Object.keys(want).length}${missed.length ? ` (wrong: ${missed.join(', ')})` : ''} |`,
        );
      } catch (e) {
        console.log(`| ${file} | ${(e as { code?: string }).code ?? (e as Error).message} | – |`);
      }
    }
  }
  const outcomes = new Map<string, string[]>();
  for (const file of readdirSync(path.join(peDir, 'testdata')).filter((f) => /\.(jpe?g|png)$/i.test(f))) {
    let outcome: string;
    try {
      const r = await readDocument({ front: readFileSync(path.join(peDir, 'testdata', file)), now });
      const digits = r.checks.find((c) => c.code === 'MRZ_CHECK_DIGITS');
      outcome = `${r.document.type}, MRZ ${digits?.status === 'pass' ? 'valid' : 'not valid'}`;
    } catch (e) {
      outcome = (e as { code?: string }).code ?? 'error';
    }
    outcomes.set(outcome, [...(outcomes.get(outcome) ?? []), file]);
  }
  console.log('\n| PassportEye test images (34, unlabelled) | n | files |\n|---|---|---|');
  for (const [outcome, files] of [...outcomes].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`| ${outcome} | ${files.length} | ${files.join(', ')} |`);
  }
  await (await getOcr()).terminate();
  if (!skipBaseline) await (await baselineWorker()).terminate();
}
