/** Plain local dates (`YYYY-MM-DD`) in Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving. */
export const VN_OFFSET_MS = 7 * 3_600_000;
export const DAY_MS = 86_400_000;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(day: string): boolean {
  const m = DATE.exec(day);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === day;
}

/** Days since 1970-01-01 of a local date. */
export function dayNumber(day: string): number {
  const m = DATE.exec(day);
  if (!m) throw new RangeError(`Not a date: ${day}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

export function fromDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(day: string, n: number): string {
  return fromDayNumber(dayNumber(day) + n);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: string): number {
  return new Date(dayNumber(day) * DAY_MS).getUTCDay();
}

export function localDateOf(at: Date): string {
  return new Date(at.getTime() + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant of local `day` at `hour` (may be fractional) in Viet Nam. */
export function localInstant(day: string, hour: number): Date {
  return new Date(dayNumber(day) * DAY_MS + hour * 3_600_000 - VN_OFFSET_MS);
}

/** Local date `months` calendar months after `day`, clamped to the month's last day (31/1 + 1 → 28/2). */
export function addMonths(day: string, months: number): string {
  const m = DATE.exec(day);
  if (!m) throw new RangeError(`Not a date: ${day}`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1 + months;
  const target = new Date(Date.UTC(y, mo, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(Number(m[3]), last));
  return target.toISOString().slice(0, 10);
}
