import { parse } from 'mrz';
import { PROVINCE_CODES } from './id-number.ts';
import { foldKey, mrzDateToIso } from './normalize.ts';

/** ICAO 9303 check digit: weights 7,3,1; digits as themselves, A–Z as 10–35, `<` as 0. */
export function mrzCheckDigit(s: string): string {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    let v: number;
    if (c >= '0' && c <= '9') v = c.charCodeAt(0) - 48;
    else if (c >= 'A' && c <= 'Z') v = c.charCodeAt(0) - 55;
    else if (c === '<') v = 0;
    else return '?';
    sum += v * (weights[i % 3] as number);
  }
  return String(sum % 10);
}

export interface MrzData {
  format: string;
  valid: boolean;
  documentCode: string | null;
  issuingState: string | null;
  documentNumber: string | null;
  /** The 12-digit ID number when the card carries it (Vietnamese TD1 optional field). */
  idNumber: string | null;
  surname: string | null;
  givenNames: string | null;
  nationality: string | null;
  sex: 'M' | 'F' | null;
  birthDate: string | null;
  expiryDate: string | null;
  /** Each check digit by field label, true when it verifies. */
  checks: Record<string, boolean>;
  lines: string[];
}

export function parseMrz(lines: string[], now: Date, opts: { autocorrect?: boolean } = {}): MrzData | null {
  let result: ReturnType<typeof parse>;
  try {
    result = parse(lines, { autocorrect: opts.autocorrect ?? false });
  } catch {
    return null;
  }
  const f = result.fields;
  const checks: Record<string, boolean> = {};
  for (const d of result.details) {
    if (/check digit/i.test(d.label)) checks[d.field ?? d.label] = d.valid;
  }
  const opt = `${f.optional1 ?? ''}${f.optional2 ?? ''}${f.personalNumber ?? ''}`;
  const id12 = /\d{12}/.exec(opt)?.[0] ?? null;
  return {
    format: result.format,
    valid: result.valid,
    documentCode: f.documentCode ?? null,
    issuingState: f.issuingState ?? stateCode(lines[0]?.slice(2, 5)),
    documentNumber: result.documentNumber ?? null,
    idNumber: id12,
    surname: f.firstName ? (f.lastName ?? null) : withoutFillerTail(f.lastName ?? null),
    givenNames: withoutFillerTail(f.firstName ?? null),
    nationality: f.nationality ?? stateCode(lines[1]?.slice(result.format === 'TD1' ? 15 : 10).slice(0, 3)),
    sex: f.sex === 'male' ? 'M' : f.sex === 'female' ? 'F' : null,
    birthDate: f.birthDate ? mrzDateToIso(f.birthDate, 'birth', now) : null,
    expiryDate: f.expirationDate ? mrzDateToIso(f.expirationDate, 'expiry', now) : null,
    checks,
    lines,
  };
}

/**
 * A three-letter state code as printed, for a code the parser's country list lacks (UTO, the
 * ICAO specimens' Utopia): digit look-alikes read for letters are turned back (UT0 → UTO).
 */
function stateCode(raw: string | undefined): string | null {
  const code = raw?.replace(/[01258]/g, (d) => ({ '0': 'O', '1': 'I', '2': 'Z', '5': 'S', '8': 'B' })[d]!);
  return code && /^[A-Z]{3}$/.test(code) ? code : null;
}

/** Letters tesseract's `eng` model reads for the MRZ filler `<`, a glyph it hardly saw in training. */
const FILLER_LOOKALIKES = new Set(['K', 'L', 'C', 'E', 'X', 'Z', 'S']);

/**
 * A name from the MRZ without the tail OCR made of the filler after it: "ANNA<MARIA<<<<<<" read as
 * ANNA MARIA K LLLLLLLLLLLLLLLK is ANNA MARIA. The tail is the trailing words made of look-alikes
 * (one other misread in ten allowed), dropped when they add up to 4 letters or more: no name
 * ends in such a run, while a short one (LEE) may be a name and is kept.
 */
export function withoutFillerTail(name: string | null): string | null {
  if (!name) return name;
  const words = name.trim().split(/\s+/);
  const fillerLike = (w: string) => [...w].filter((c) => !FILLER_LOOKALIKES.has(c)).length <= w.length / 10;
  let keep = words.length;
  while (keep > 0 && fillerLike(words[keep - 1]!)) keep--;
  const tail = words.slice(keep).join('');
  if (tail.length < 4) return name.trim();
  return words.slice(0, keep).join(' ') || null;
}

/** ICAO transliteration of a Vietnamese name: accents dropped, Đ → D, spaces → `<`. */
export function mrzName(surname: string, given: string, width: number): string {
  const t = (s: string) => foldKey(s).replace(/ /g, '<');
  const s = `${t(surname)}<<${t(given)}`;
  return s.length >= width ? s.slice(0, width) : s.padEnd(width, '<');
}

const yymmdd = (iso: string) => iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
const pad = (s: string, n: number) => s.padEnd(n, '<').slice(0, n);

export interface MrzInput {
  documentNumber: string;
  idNumber?: string;
  surname: string;
  givenNames: string;
  birthDate: string;
  sex: 'M' | 'F';
  expiryDate: string;
  nationality?: string;
}

/** Vietnamese CCCD / Căn cước TD1: document number = last 9 ID digits, full ID in the optional field. */
export function formatTd1(d: MrzInput): [string, string, string] {
  const docNo = pad(d.documentNumber, 9);
  const l1 = pad(`IDVNM${docNo}${mrzCheckDigit(docNo)}${d.idNumber ?? ''}`, 30);
  const birth = yymmdd(d.birthDate);
  const exp = yymmdd(d.expiryDate);
  const l2head = `${birth}${mrzCheckDigit(birth)}${d.sex}${exp}${mrzCheckDigit(exp)}${d.nationality ?? 'VNM'}`;
  const l2body = pad(l2head, 29);
  const composite = mrzCheckDigit(
    l1.slice(5, 30) + l2body.slice(0, 7) + l2body.slice(8, 15) + l2body.slice(18, 29),
  );
  return [l1, l2body + composite, mrzName(d.surname, d.givenNames, 30)];
}

/** Passport TD3 (two lines of 44). */
export function formatTd3(d: MrzInput): [string, string] {
  const l1 = pad(`P<${d.nationality ?? 'VNM'}${mrzName(d.surname, d.givenNames, 39)}`, 44);
  const docNo = pad(d.documentNumber, 9);
  const birth = yymmdd(d.birthDate);
  const exp = yymmdd(d.expiryDate);
  const personal = pad(d.idNumber ?? '', 14);
  const personalCd = d.idNumber ? mrzCheckDigit(personal) : '<';
  const part = `${docNo}${mrzCheckDigit(docNo)}${d.nationality ?? 'VNM'}${birth}${mrzCheckDigit(birth)}${d.sex}${exp}${mrzCheckDigit(exp)}${personal}${personalCd}`;
  const composite = mrzCheckDigit(part.slice(0, 10) + part.slice(13, 20) + part.slice(21, 43));
  return [l1, part + composite];
}

function fit(input: string, width: number): string | null {
  let line = input;
  if (line.length > width) {
    // OCR often reads a filler `<` as `<K`/`<L` in OCR-B: drop those extras, then re-pad the tail.
    line = line.replace(/(?<=<)[KL]/g, '');
    if (line.length > width) line = line.replace(/[<KL]+$/, '');
  }
  if (line.length < width && /</.test(line.slice(-3))) line = line.replace(/[<KL]*$/, '');
  // A filler run stripped from the tail may be re-padded; otherwise at most 3 characters off.
  const strippedTail = line.length < input.length && /<$/.test(input.replace(/[KL]+$/, '<'));
  if (line.length > width + 3 || (!strippedTail && width - line.length > 3)) return null;
  if (line.length > width) return line.slice(0, width);
  return line.padEnd(width, '<');
}

const DIGIT_FIX: Record<string, string> = {
  O: '0',
  D: '0',
  Q: '0',
  U: '0',
  I: '1',
  L: '1',
  Z: '2',
  S: '5',
  G: '6',
  B: '8',
};

/** Columns that hold only digits (dates and check digits), per format and line. */
const NUMERIC: Record<string, number[][]> = {
  TD1: [[14], [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 29], []],
  TD3: [[], [9, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 43]],
};

function fixDigits(line: string, cols: number[]): string {
  const chars = [...line];
  for (const c of cols) if (chars[c] && DIGIT_FIX[chars[c]]) chars[c] = DIGIT_FIX[chars[c]] as string;
  return chars.join('');
}

/** Check digit columns, per format and line. */
const CHECK_COLS: Record<string, number[][]> = {
  TD1: [[14], [6, 14, 29], []],
  TD3: [[], [9, 19, 27, 42, 43]],
};

/**
 * A letter in a digit column that is no usual look-alike ("P" for a 0 at the strip's edge) may be any
 * digit: when a line has one such column, every digit is tried there and the check digits pick
 * (exactly one digit verifies the field's check digit). Never a check digit itself: one of the ten
 * always verifies, which would make its check a forgery (a composite read as filler "verified" a line
 * whose ID had lost two digits).
 */
function anyDigitAt(line: string, cols: number[], checkCols: number[]): string[] {
  const bad = cols.filter((c) => line[c] !== undefined && !/[0-9]/.test(line[c]!));
  if (bad.length !== 1 || checkCols.includes(bad[0]!)) return [line];
  const c = bad[0]!;
  return Array.from({ length: 10 }, (_, d) => line.slice(0, c) + d + line.slice(c + 1));
}

function variants(line: string, width: number): string[] {
  const out = new Set<string>();
  const base = fit(line, width);
  if (base) out.add(base);
  if (line.length > width && line.length <= width + 3) {
    for (let i = 0; i < line.length; i++) {
      const v = line.slice(0, i) + line.slice(i + 1);
      out.add(v.length > width ? v.slice(0, width) : v);
    }
  }
  if (line.length === width - 1) out.add(`${line}<`);
  // OCR miscounts a filler run: one that ends just before the line's last digit (the composite)
  // may have lost up to three fillers.
  if (line.length < width && line.length >= width - 3)
    out.add(line.replace(/<+(?=\d$)/, (m) => m + '<'.repeat(width - line.length)));
  return [...out].filter((v) => v.length === width);
}

const score = (d: MrzData | null) =>
  d ? Object.values(d.checks).filter(Boolean).length + (d.valid ? 1 : 0) : -1;

/**
 * MRZ from raw OCR text: picks the TD1 or TD3 lines, maps letters to digits in numeric columns, and
 * repairs a line that OCR made one or two characters too long or short by keeping the variant that
 * verifies the most check digits. Check digits decide; nothing is invented.
 */
export function readMrzText(text: string, now: Date): MrzData | null {
  const raw = text
    .toUpperCase()
    .replace(/[«‹≤{([]/g, '<')
    .split(/\n+/)
    .map((l) => l.replace(/\s+/g, '').replace(/[^A-Z0-9<]/g, ''))
    .filter((l) => l.length >= 20);
  // A filler run's length is what OCR gets wrong most: a line ending in one may be longer or shorter.
  const near = (l: string, w: number) =>
    Math.abs(l.length - w) <= 4 ||
    (/[<KL]{4,}$/.test(l) && l.length > w) ||
    (/<{5,}$/.test(l) && l.length < w);
  const td1 = raw.slice(-3).filter((l) => near(l, 30)).length;
  const td3 = raw.slice(-2).filter((l) => near(l, 44)).length;
  if (td1 < 3 && td3 < 2) return null;
  const format = td1 === 3 ? 'TD1' : 'TD3';
  const width = format === 'TD1' ? 30 : 44;
  const count = format === 'TD1' ? 3 : 2;
  const src = raw.slice(-count);
  if (src.length !== count) return null;
  // Vietnamese TD1: the document number and the 12-digit ID in the optional field are all digits.
  const vnCols = Array.from({ length: 22 }, (_, k) => 5 + k);
  const options = src.map((l, i) =>
    variants(l, width).flatMap((v) => {
      const cols =
        format === 'TD1' && i === 0 && v.startsWith('IDVNM') ? vnCols : (NUMERIC[format]![i] ?? []);
      return anyDigitAt(fixDigits(v, cols), cols, CHECK_COLS[format]![i] ?? []);
    }),
  );
  // A line OCR lost more of than can be repaired (glare over a date: four characters short) is
  // filler, which verifies nothing, rather than a reason to drop the lines that do verify: a chip
  // CCCD back's first line alone carries the document number, its check digit and the ID.
  if (options.every((o) => o.length === 0)) return null;
  for (const o of options) if (o.length === 0) o.push('<'.repeat(width));
  let best = options.map((o) => o[0] as string);
  let bestData = parseMrz(best, now, { autocorrect: true });
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < count; i++) {
      for (const v of options[i]!) {
        const trial = best.map((l, k) => (k === i ? v : l));
        const d = parseMrz(trial, now, { autocorrect: true });
        if (score(d) > score(bestData)) {
          best = trial;
          bestData = d;
        }
      }
    }
  }
  return withIdRepaired(bestData, best, options[1] ?? [], now);
}

const isSubsequence = (short: string, long: string) => {
  let k = 0;
  for (const c of long) if (c === short[k]) k++;
  return k === short.length;
};

/**
 * A Vietnamese TD1 whose optional field OCR broke (two of the ID's digits dropped, or one misread in
 * its last nine) while the document number verifies: the ID is a province code followed by the
 * document number, so the candidates are the province codes with which the digits read are that ID
 * with at most three dropped (or, twelve read, with the same first three). The composite check digit
 * of the line rebuilt with a candidate must verify and must pick exactly one; else the ID stays
 * unread. On the card that showed it (2 digits dropped), the misread line passed the composite by
 * chance, one time in ten, so the composite alone is no proof the ID read.
 */
function withIdRepaired(d: MrzData | null, lines: string[], line2s: string[], now: Date): MrzData | null {
  if (d?.format !== 'TD1' || d.issuingState !== 'VNM' || !d.checks.documentNumberCheckDigit) return d;
  const doc = d.documentNumber ?? '';
  if (!/^\d{9}$/.test(doc) || d.idNumber?.endsWith(doc)) return d;
  const read = /^\d*/.exec(lines[0]!.slice(15))![0];
  if (read.length < 9) return d;
  const ids = Object.keys(PROVINCE_CODES)
    .map((p) => p + doc)
    .filter((id) =>
      read.length === 12 ? read.startsWith(id.slice(0, 3)) : read.length < 12 && isSubsequence(read, id),
    );
  // Every reading of the second line (its filler run miscounted or not): the composite spans it.
  const fits = new Map<string, MrzData>();
  for (const id of ids) {
    for (const l2 of line2s) {
      const r = parseMrz([`${lines[0]!.slice(0, 15)}${id}`.padEnd(30, '<'), l2, lines[2]!], now);
      if (
        r?.checks.compositeCheckDigit &&
        r.checks.documentNumberCheckDigit &&
        score(r) >= score(fits.get(id) ?? null)
      )
        fits.set(id, r);
    }
  }
  return fits.size === 1 ? [...fits.values()][0]! : d;
}
