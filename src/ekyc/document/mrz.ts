import { parse } from 'mrz';
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
    issuingState: f.issuingState ?? null,
    documentNumber: result.documentNumber ?? null,
    idNumber: id12,
    surname: f.lastName ?? null,
    givenNames: f.firstName ?? null,
    nationality: f.nationality ?? null,
    sex: f.sex === 'male' ? 'M' : f.sex === 'female' ? 'F' : null,
    birthDate: f.birthDate ? mrzDateToIso(f.birthDate, 'birth', now) : null,
    expiryDate: f.expirationDate ? mrzDateToIso(f.expirationDate, 'expiry', now) : null,
    checks,
    lines,
  };
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

/**
 * Cleans OCR output into MRZ lines: keeps `[A-Z0-9<]`, drops short noise lines, and maps common
 * confusions in `«`/`‹`/spaces inside the filler. Returns TD1 (3×30) or TD3 (2×44) candidates.
 */
export function mrzLinesFromOcr(text: string): string[] | null {
  const raw = text
    .toUpperCase()
    .replace(/[«‹≤{([]/g, '<')
    .split(/\n+/)
    .map((l) => l.replace(/\s+/g, '').replace(/[^A-Z0-9<]/g, ''))
    .filter((l) => l.length >= 20);
  if (raw.length >= 3) {
    const td1 = raw.slice(-3).map((l) => fit(l, 30));
    if (td1.every((l) => l !== null)) return td1 as string[];
  }
  if (raw.length >= 2) {
    const td3 = raw.slice(-2).map((l) => fit(l, 44));
    if (td3.every((l) => l !== null)) return td3 as string[];
  }
  return null;
}

function fit(input: string, width: number): string | null {
  let line = input;
  if (line.length > width) {
    // OCR often reads a filler `<` as `<K`/`<L` in OCR-B: drop those extras, then re-pad the tail.
    line = line.replace(/(?<=<)[KL]/g, '');
    if (line.length > width) line = line.replace(/[<KL]+$/, '');
  }
  if (line.length < width && /</.test(line.slice(-3))) line = line.replace(/[<KL]*$/, '');
  if (line.length > width || width - line.length > 30) return null;
  if (Math.abs(input.length - width) > 3 && line.length !== width && !line.includes('<<')) return null;
  if (line.length > width) return line.slice(0, width);
  return line.padEnd(width, '<');
}
