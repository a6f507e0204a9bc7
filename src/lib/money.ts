/**
 * Money is integer VND everywhere (`number`, exact far beyond any invoice: 2^53 ≈ 9·10^15 VND).
 * Rounding rule, used by every tax and share computation: per line, half up (half away from zero
 * for negative amounts, so a credit note mirrors its invoice exactly).
 */

function assertVnd(amount: number, what = 'amount'): void {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`${what} must be a whole number of VND`);
}

/** `amount × rateBp / 10 000`, rounded half up (away from zero), computed exactly with BigInt. */
export function applyRateBp(amount: number, rateBp: number): number {
  assertVnd(amount);
  if (!Number.isInteger(rateBp) || rateBp < 0 || rateBp > 1_000_000) {
    throw new RangeError('rate must be a whole number of basis points');
  }
  const negative = amount < 0;
  const product = BigInt(Math.abs(amount)) * BigInt(rateBp);
  const rounded = (product + 5_000n) / 10_000n;
  const value = Number(rounded);
  return negative ? -value : value;
}

/** VAT of one invoice line: rate in basis points (10 % = 1000), half up per line. */
export function vatOfLine(amount: number, vatRateBp: number): number {
  return applyRateBp(amount, vatRateBp);
}

/** Sums integer VND amounts, refusing anything that is not a safe integer. */
export function sumVnd(amounts: readonly number[]): number {
  let total = 0;
  for (const a of amounts) {
    assertVnd(a);
    total += a;
  }
  assertVnd(total, 'total');
  return total;
}

/** `1234567` → `1.234.567 ₫` (Vietnamese grouping with dots; a minus sign for credit amounts). */
export function formatVnd(amount: number): string {
  return `${formatNumberVi(amount)} ₫`;
}

/** `1234567` → `1.234.567`. */
export function formatNumberVi(value: number): string {
  assertVnd(value, 'value');
  const digits = String(Math.abs(value)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return value < 0 ? `-${digits}` : digits;
}

/** Percent as a basis-point integer: `10` → 1000, `8.5` → 850. */
export function percentToBp(percent: number): number {
  const bp = Math.round(percent * 100);
  if (!Number.isFinite(percent) || Math.abs(percent * 100 - bp) > 1e-9 || bp < 0 || bp > 10_000) {
    throw new RangeError('percent must be between 0 and 100 with at most two decimals');
  }
  return bp;
}

const DIGITS = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'] as const;

/** Reads a three-digit group; `full` reads leading zeros ("không trăm linh năm") inside a number. */
function readGroup(n: number, full: boolean): string[] {
  const h = Math.floor(n / 100);
  const t = Math.floor((n % 100) / 10);
  const u = n % 10;
  const words: string[] = [];
  if (h > 0 || full) words.push(DIGITS[h]!, 'trăm');
  if (t === 0) {
    if (u > 0 && (h > 0 || full)) words.push('linh');
  } else if (t === 1) {
    words.push('mười');
  } else {
    words.push(DIGITS[t]!, 'mươi');
  }
  if (u > 0) {
    if (u === 1 && t >= 2) words.push('mốt');
    else if (u === 5 && t >= 1) words.push('lăm');
    else words.push(DIGITS[u]!);
  }
  return words;
}

const SCALES = ['', 'nghìn', 'triệu'] as const;

/** Reads 0 ≤ n < 10^9 as groups of nghìn / triệu; `full` when something bigger precedes it. */
function readBelowBillion(n: number, full: boolean): string[] {
  const groups = [n % 1000, Math.floor(n / 1000) % 1000, Math.floor(n / 1_000_000)];
  const words: string[] = [];
  let started = full;
  for (let i = 2; i >= 0; i--) {
    const g = groups[i]!;
    if (g === 0) continue;
    words.push(...readGroup(g, started));
    if (SCALES[i]) words.push(SCALES[i]!);
    started = true;
  }
  return words;
}

function readNatural(n: number, full: boolean): string[] {
  if (n < 1_000_000_000) return readBelowBillion(n, full);
  const billions = Math.floor(n / 1_000_000_000);
  const rest = n % 1_000_000_000;
  const words = [...readNatural(billions, full), 'tỷ'];
  if (rest > 0) words.push(...readBelowBillion(rest, true));
  return words;
}

/** Amount in Vietnamese words for invoices: `1234567` → "Một triệu hai trăm ba mươi bốn nghìn năm trăm sáu mươi bảy đồng". */
export function vndInWords(amount: number): string {
  assertVnd(amount);
  const body = amount === 0 ? ['không'] : readNatural(Math.abs(amount), false);
  const words = [...(amount < 0 ? ['âm'] : []), ...body, 'đồng'].join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
