/** Field normalisation shared by every source (QR, MRZ, OCR): one spelling per value. */

/** NFC, Vietnamese upper case with every diacritic kept, single spaces. */
export function normalizeName(raw: string): string {
  return raw.normalize('NFC').toLocaleUpperCase('vi').replace(/\s+/g, ' ').trim();
}

/** NFC text with single spaces (addresses keep their case as printed). */
export function normalizeText(raw: string): string {
  return raw
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.])/g, '$1')
    .trim();
}

/** Case- and accent-insensitive key for comparing text from different sources. */
export function foldKey(raw: string): string {
  return raw
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim();
}

export function isValidDate(y: number, m: number, d: number): boolean {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return false;
  if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

const iso = (y: number, m: number, d: number) =>
  `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** `DDMMYYYY` (the QR's form) to ISO, or null. */
export function dmyCompactToIso(raw: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(raw.trim());
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return isValidDate(y, mo, d) ? iso(y, mo, d) : null;
}

/** `DD/MM/YYYY`, `DD-MM-YYYY`, `DD.MM.YYYY` or `DDMMYYYY` (printed and lenient forms) to ISO, or null. */
export function dmyToIso(raw: string): string | null {
  const s = raw.trim();
  const m = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/.exec(s);
  if (m) {
    const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return isValidDate(y, mo, d) ? iso(y, mo, d) : null;
  }
  return dmyCompactToIso(s);
}

/** MRZ `YYMMDD` to ISO; the century is chosen so birth dates are in the past and expiries near `now`. */
export function mrzDateToIso(raw: string, kind: 'birth' | 'expiry', now: Date): string | null {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(raw);
  if (!m) return null;
  const [yy, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const cur = now.getUTCFullYear();
  let y = 2000 + yy;
  if (kind === 'birth' && y > cur) y -= 100;
  if (kind === 'expiry' && y > cur + 80) y -= 100;
  return isValidDate(y, mo, d) ? iso(y, mo, d) : null;
}

/** `Nam`/`Nữ` (any case, with or without accents), `M`/`F`, `male`/`female` to M/F, or null. */
export function normalizeSex(raw: string): 'M' | 'F' | null {
  const k = foldKey(raw);
  if (k === 'NAM' || k === 'M' || k === 'MALE') return 'M';
  if (k === 'NU' || k === 'F' || k === 'FEMALE') return 'F';
  return null;
}

export function toIsoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * The commonest Vietnamese family names (together well over 90 % of people). OCR often drops a
 * tone mark off the first word of a name (NGUYỄN read as NGUYÊN); a first word that folds to exactly
 * one of these, and is not itself one, is that family name.
 */
const FAMILY_NAMES = [
  'NGUYỄN',
  'TRẦN',
  'LÊ',
  'PHẠM',
  'HOÀNG',
  'HUỲNH',
  'PHAN',
  'VŨ',
  'VÕ',
  'ĐẶNG',
  'BÙI',
  'ĐỖ',
  'HỒ',
  'NGÔ',
  'DƯƠNG',
  'LÝ',
  'ĐÀO',
  'ĐOÀN',
  'VƯƠNG',
  'TRỊNH',
  'TRƯƠNG',
  'LÂM',
  'MAI',
  'TẠ',
  'CAO',
  'HÀ',
  'QUÁCH',
  'LƯU',
  'TÔ',
  'THÁI',
  'CHÂU',
  'LƯƠNG',
  'ĐINH',
  'TÔN',
  'KIỀU',
  'LA',
  'LÃ',
  'HỨA',
  'TĂNG',
  'LỤC',
  'TRIỆU',
  'KHỔNG',
  'KHÚC',
  'NÔNG',
  'THÂN',
  'ÔNG',
  'PHÙNG',
  'QUAN',
  'TIÊU',
  'DIỆP',
  'VI',
];
const familyByFold = new Map<string, string[]>();
for (const f of FAMILY_NAMES) familyByFold.set(foldKey(f), [...(familyByFold.get(foldKey(f)) ?? []), f]);

/** An OCR'd name whose family name lost or changed a diacritic gets it back, when that is unambiguous. */
export function restoreFamilyName(name: string): string {
  const [first, ...rest] = name.split(' ');
  if (!first || rest.length === 0 || FAMILY_NAMES.includes(first)) return name;
  const family = familyNameFor(first);
  return family ? [family, ...rest].join(' ') : name;
}

/** The common family name with all its diacritics that `folded` (any spelling) stands for, when exactly one does. */
export function familyNameFor(folded: string): string | null {
  const c = familyByFold.get(foldKey(folded));
  return c?.length === 1 ? c[0]! : null;
}

/**
 * The vowel pair ƯƠ before a final consonant or semivowel (ƯƠNG, ƯỚC, ƯỜI …) never loses one horn
 * in Vietnamese, but OCR often drops one (PHUƠNG, TRƯONG): the horn goes back on. Open UƠ (HUƠ,
 * THUỞ) is left alone.
 */
export function repairHorns(upper: string): string {
  return upper
    .normalize('NFD')
    .replace(/U(?=O\u031b[\u0300-\u036f]*[NCTMPIU])/g, 'U\u031b')
    .replace(/(U\u031b[\u0300-\u036f]*O)(?!\u031b)(?=[\u0300-\u036f]*[NCTMPIU])/g, '$1\u031b')
    .normalize('NFC');
}
