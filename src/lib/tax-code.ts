/**
 * Vietnamese enterprise tax code (MST): 10 digits whose last is a check digit, or 10 + "-" + 3 digits
 * for a branch. Check digit per the General Department of Taxation's weighting.
 */
const WEIGHTS = [31, 29, 23, 19, 17, 13, 7, 5, 3];

export function taxCodeCheckDigit(first9: string): number | null {
  if (!/^\d{9}$/.test(first9)) return null;
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(first9[i]), 0);
  const check = 10 - (sum % 11);
  // 10 and 11 have no single digit: such prefixes are never issued.
  return check >= 0 && check <= 9 ? check : null;
}

export function normalizeTaxCode(raw: string): string {
  return raw.replace(/\s+/g, '').replace(/^(\d{10})(\d{3})$/, '$1-$2');
}

export function isValidTaxCode(raw: string): boolean {
  const code = normalizeTaxCode(raw);
  const m = /^(\d{9})(\d)(?:-(\d{3}))?$/.exec(code);
  if (!m) return false;
  if (m[3] === '000') return false;
  return taxCodeCheckDigit(m[1]!) === Number(m[2]);
}
