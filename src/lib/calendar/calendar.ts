import type { Db } from '../../db/client.ts';
import { addDays, localDateOf, localInstant, weekday } from './dates.ts';
import { computedYear } from './rules.ts';
import { DATA_YEARS, VN_HOLIDAYS_2025_2027 } from './vn-holidays.ts';

/**
 * The business calendar of Viet Nam: Monday–Friday working days, minus public holidays, plus make-up
 * working Saturdays (or Sundays) the government swaps in. Every deadline and SLA clock uses it.
 *
 * Rules (all in Asia/Ho_Chi_Minh local time, UTC+7, no DST):
 * - `addWorkingDays(from, n)`: the deadline is the END (`endHour`, 17:00 by default) of the n-th working
 *   day strictly after the local date of `from`. Signed on Friday, 1 working day → Monday 17:00; signed
 *   on a Saturday or a holiday → the first working day after it, 17:00. n = 0 → end of the local date of
 *   `from` if it is a working day, else end of the next working day.
 * - `workingDaysBetween(from, to)`: working days d with localDate(from) < d ≤ localDate(to) (negative when
 *   `to` is earlier), so `workingDaysBetween(x, addWorkingDays(x, n)) === n`.
 * - `addWorkingHours` / `workingMillisBetween`: only time inside [startHour, endHour) of working days
 *   counts (08:00–17:00 by default). Pauses (waiting for a customer) are the caller's business.
 */
export interface CalendarDay {
  day: string /* YYYY-MM-DD */;
  kind: 'holiday' | 'working_day' /* make-up working Saturday */;
  nameVi: string;
  nameEn: string;
}
export interface WorkingHours {
  startHour: number;
  endHour: number;
} // default 8..17 Asia/Ho_Chi_Minh
export interface BusinessCalendar {
  isWorkingDay(day: string): boolean; // local date
  localDate(at: Date): string; // Asia/Ho_Chi_Minh date of an instant (UTC+7, no DST)
  addWorkingDays(from: Date, n: number): Date; // end (17:00 local) of the n-th working day after `from`
  workingDaysBetween(from: Date, to: Date): number;
  addWorkingHours(from: Date, hours: number, wh?: WorkingHours): Date; // SLA clocks
  workingMillisBetween(from: Date, to: Date, wh?: WorkingHours): number; // SLA elapsed, pauses handled by callers
}

export const DEFAULT_WORKING_HOURS: WorkingHours = { startHour: 8, endHour: 17 };
/** A calendar with no working day for this long is a data error, not an answer. */
const MAX_SCAN_DAYS = 3660;

function checkHours(wh: WorkingHours): WorkingHours {
  if (!(wh.startHour >= 0 && wh.endHour <= 24 && wh.startHour < wh.endHour)) {
    throw new RangeError('Working hours must satisfy 0 ≤ startHour < endHour ≤ 24');
  }
  return wh;
}

export function createBusinessCalendar(days: CalendarDay[]): BusinessCalendar {
  const byDay = new Map<string, CalendarDay['kind']>();
  for (const d of days) byDay.set(d.day, d.kind);

  const isWorkingDay = (day: string): boolean => {
    const kind = byDay.get(day);
    if (kind === 'holiday') return false;
    if (kind === 'working_day') return true;
    const wd = weekday(day);
    return wd !== 0 && wd !== 6;
  };

  const nextWorkingDay = (day: string): string => {
    let d = day;
    for (let i = 0; i < MAX_SCAN_DAYS; i++) {
      d = addDays(d, 1);
      if (isWorkingDay(d)) return d;
    }
    throw new RangeError('No working day found in ten years');
  };

  const countBetween = (a: string, b: string): number => {
    if (b < a) return -countBetween(b, a);
    let n = 0;
    for (let d = addDays(a, 1); d <= b; d = addDays(d, 1)) if (isWorkingDay(d)) n++;
    return n;
  };

  return {
    isWorkingDay,
    localDate: localDateOf,

    addWorkingDays(from, n) {
      if (!Number.isInteger(n)) throw new RangeError('n must be a whole number of working days');
      const endHour = DEFAULT_WORKING_HOURS.endHour;
      let d = localDateOf(from);
      if (n <= 0) {
        if (n < 0) {
          for (let left = -n; left > 0; ) {
            d = addDays(d, -1);
            if (isWorkingDay(d)) left--;
          }
          return localInstant(d, endHour);
        }
        return localInstant(isWorkingDay(d) ? d : nextWorkingDay(d), endHour);
      }
      for (let left = n; left > 0; left--) d = nextWorkingDay(d);
      return localInstant(d, endHour);
    },

    workingDaysBetween: (from, to) => countBetween(localDateOf(from), localDateOf(to)),

    addWorkingHours(from, hours, wh = DEFAULT_WORKING_HOURS) {
      checkHours(wh);
      let remaining = hours * 3_600_000;
      if (!(remaining > 0)) return new Date(from);
      let t = from.getTime();
      let d = localDateOf(from);
      for (let i = 0; i < MAX_SCAN_DAYS * 2; i++) {
        if (isWorkingDay(d)) {
          const start = Math.max(t, localInstant(d, wh.startHour).getTime());
          const end = localInstant(d, wh.endHour).getTime();
          if (start < end) {
            if (remaining <= end - start) return new Date(start + remaining);
            remaining -= end - start;
          }
        }
        d = addDays(d, 1);
        t = localInstant(d, 0).getTime();
      }
      throw new RangeError('Working hours do not fit in twenty years');
    },

    workingMillisBetween(from, to, wh = DEFAULT_WORKING_HOURS) {
      checkHours(wh);
      if (to.getTime() <= from.getTime()) return 0;
      let total = 0;
      const last = localDateOf(to);
      for (let d = localDateOf(from); d <= last; d = addDays(d, 1)) {
        if (!isWorkingDay(d)) continue;
        const start = Math.max(from.getTime(), localInstant(d, wh.startHour).getTime());
        const end = Math.min(to.getTime(), localInstant(d, wh.endHour).getTime());
        if (end > start) total += end - start;
      }
      return total;
    },
  };
}

/** Years computed by rule around the shipped data (2025–2027). */
const COMPUTED_YEARS = { first: 2023, last: 2035 } as const;
let defaults: CalendarDay[] | undefined;

/** The shipped defaults: data for 2025–2027, computed rules for the other years of 2023–2035. */
export function defaultCalendarDays(): CalendarDay[] {
  if (defaults) return defaults;
  const out: CalendarDay[] = [];
  for (const h of VN_HOLIDAYS_2025_2027) {
    for (let d = h.start; d <= h.end; d = addDays(d, 1)) {
      out.push({ day: d, kind: 'holiday', nameVi: h.nameVi, nameEn: h.nameEn });
    }
  }
  for (let y = COMPUTED_YEARS.first; y <= COMPUTED_YEARS.last; y++) {
    if (y >= DATA_YEARS.first && y <= DATA_YEARS.last) continue;
    out.push(...computedYear(y));
  }
  defaults = out.sort((a, b) => a.day.localeCompare(b.day));
  return defaults;
}

/** An admin's change to one day: a holiday or make-up working day, or `cleared` to drop a default. */
export interface CalendarOverride {
  day: string;
  kind: 'holiday' | 'working_day' | 'cleared';
  nameVi: string;
  nameEn: string;
}

/** Defaults with the admin's overrides applied (an override replaces the default of its day). */
export function mergeCalendarDays(base: CalendarDay[], overrides: CalendarOverride[]): CalendarDay[] {
  const map = new Map<string, CalendarDay>();
  for (const d of base) map.set(d.day, d);
  for (const o of overrides) {
    if (o.kind === 'cleared') map.delete(o.day);
    else map.set(o.day, { day: o.day, kind: o.kind, nameVi: o.nameVi, nameEn: o.nameEn });
  }
  return [...map.values()].sort((a, b) => a.day.localeCompare(b.day));
}

export async function loadCalendarOverrides(db: Db): Promise<CalendarOverride[]> {
  const rows = await db.query<{
    day: string;
    kind: CalendarOverride['kind'];
    name_vi: string;
    name_en: string;
  }>(`SELECT to_char(day, 'YYYY-MM-DD') AS day, kind, name_vi, name_en FROM calendar_days ORDER BY day`);
  return rows.map((r) => ({ day: r.day, kind: r.kind, nameVi: r.name_vi, nameEn: r.name_en }));
}

export async function loadBusinessCalendar(db: Db): Promise<BusinessCalendar> {
  return createBusinessCalendar(mergeCalendarDays(defaultCalendarDays(), await loadCalendarOverrides(db)));
}
