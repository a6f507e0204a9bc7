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

/**
 * Syllables common in Vietnamese middle and given names, with their marks. OCR under glare loses
 * or changes a tone mark with full confidence (HỒNG read HÔNG at 0.93, YẾN read YÊN, VĂN read
 * VAN): such a reading is a real syllable but no name, while a name it folds to is. Rare names
 * (and minority names: NIÊ, H'HEN) fold to none of these and are left as read. A name syllable
 * that is rare beside a common one folding alike (Yên beside Yến) is left out on purpose: its
 * reading is settled by the CLAHE re-read, or taken for the common one.
 */
const NAME_SYLLABLES = `AN ÂN ANH ÁNH BẢO BẮC BĂNG BẰNG BÉ BIÊN BÌNH BÍCH BỬU CẦM CẨM CÁT CHÁNH CHÂU CHI CHÍ
  CHIẾN CHINH CHÍNH CHUNG CÔNG CÚC CƯỜNG DANH DIỄM DIỆP DIỆU DỊU DOANH DU DUNG DŨNG DUY DUYÊN DƯƠNG
  ĐẠI ĐAN ĐÀO ĐẠO ĐẠT ĐĂNG ĐIỀN ĐIỆP ĐỊNH ĐÌNH ĐOAN ĐÔNG ĐỨC GIA GIANG GIAO HÀ HẠ HẢI HÂN HẠNH
  HÀO HẢO HẰNG HẬU HIỀN HIỂN HIẾN HIẾU HIỆP HOA HÒA HOÀI HOAN HOÀN HOÀNG HỌC HỒNG HỢP HUÂN
  HUỆ HÙNG HUY HUYỀN HUỲNH HƯNG HƯƠNG HƯỜNG HỮU KHA KHẢI KHANG KHANH KHÁNH KHẮC KHIÊM KHOA KHÔI
  KHUÊ KHƯƠNG KIÊN KIỆT KIỀU KIM KỲ LAM LÂM LAN LÂN LỆ LIÊN LIỄU LINH LĨNH LOAN LỘC LỢI LONG LUÂN
  LỤA LƯƠNG LY LÝ LỰC MAI MẠNH MẪN MINH MỊ MY MỸ NAM NGA NGÀ NGÂN NGHI NGHĨA NGỌC NGUYÊN NGUYỆT
  NHÃ NHÀN NHÂN NHẬT NHI NHIÊN NHUNG NHƯ NINH OANH PHÁT PHI PHONG PHÚ PHÚC PHỤNG PHƯƠNG PHƯỢNG
  PHƯỚC QUÂN QUANG QUẢNG QUẾ QUÝ QUYÊN QUYỀN QUYẾT QUỲNH QUỐC SANG SÂM SEN SINH SƠN SONG SƯƠNG TÀI
  TÂM TÂN TẤN THẠCH THÁI THẮM THẮNG THANH THÀNH THẢO THẾ THI THỊ THIÊN THIỆN THỊNH THOA THOẠI
  THÔNG THU THƯ THUẦN THUẬN THÚY THÙY THỦY THƯƠNG THỨC TIÊN TIẾN TÍN TÌNH TỊNH TOÀN TRÀ TRÂM TRANG
  TRÍ TRIẾT TRINH TRỌNG TRUNG TRÚC TRƯỜNG TÚ TUÂN TUẤN TÙNG TUYỀN TUYẾT TƯỜNG TƯ UY UYÊN VĂN VÂN
  VI VĨ VIỆT VIÊN VINH VĨNH VŨ VƯƠNG VY VỸ XUÂN XUYẾN Ý YẾN`
  .split(/\s+/)
  .map((s) => s.normalize('NFC'));
const TONE_MARKS = new Set(['\u0300', '\u0301', '\u0303', '\u0309', '\u0323']);
/**
 * A syllable's letters and marks, wherever its tone mark sits: HÒA and HOÀ, THỦY and THUỶ (the
 * old placement) are one syllable.
 */
function syllableKey(w: string): string {
  const chars = [...w.normalize('NFD')];
  return `${chars.filter((c) => !TONE_MARKS.has(c)).join('')}|${chars.filter((c) => TONE_MARKS.has(c)).join('')}`;
}
const nameSyllables = new Set(NAME_SYLLABLES.map(syllableKey));
const isNameSyllable = (w: string) => nameSyllables.has(syllableKey(w));
const syllablesByFold = new Map<string, string[]>();
for (const s of NAME_SYLLABLES)
  syllablesByFold.set(foldKey(s), [...(syllablesByFold.get(foldKey(s)) ?? []), s]);

/** Middle and given names read as a syllable that is no name but folds to one (HÔNG for HỒNG). */
export function oddNameWords(name: string): string[] {
  return name
    .split(' ')
    .slice(1)
    .filter((w) => !isNameSyllable(w) && syllablesByFold.has(foldKey(w)));
}

/**
 * Settles the marks of `oddNameWords` in `name`: the other reading of the same box (after CLAHE)
 * when it has that word as a name syllable, else the one name syllable it folds to (`byList`: no
 * reading saw that mark); two or more (VAN: VĂN or VÂN) and no other reading that says which give
 * null.
 */
export function settleNameMarks(
  name: string,
  other: string | null,
): { value: string | null; word?: string; byList?: boolean } {
  const words = name.split(' ');
  const alt = other?.split(' ');
  const sameShape = alt?.length === words.length;
  let byList = false;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (isNameSyllable(w)) continue;
    const cands = syllablesByFold.get(foldKey(w));
    if (!cands) continue;
    const o = sameShape ? alt![i]! : null;
    if (o && isNameSyllable(o) && foldKey(o) === foldKey(w)) words[i] = o;
    else if (cands.length === 1) {
      words[i] = cands[0]!;
      byList = true;
    } else return { value: null, word: w };
  }
  return { value: words.join(' '), byList };
}
