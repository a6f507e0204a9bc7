import Holidays from 'date-holidays';
import type { CalendarDay } from './calendar.ts';
import { addDays, dayNumber, fromDayNumber, weekday } from './dates.ts';

/**
 * Days off for a year the shipped data does not cover, computed from the law:
 * - Labour Code 2019 Art.112: New Year (1/1), Tết (5 days; date-holidays' window from giao thừa),
 *   Hùng Kings (10/3 lunar), 30/4, 1/5, National Day 2/9 plus one adjacent day.
 * - Art.111(3): a holiday falling on a weekly rest day (Saturday/Sunday) is compensated by the next
 *   working day.
 * The government's yearly Tết schedule (swapped days, make-up Saturdays) is published each year;
 * admins enter it through `/api/calendar/days`.
 */
export function computedYear(year: number): CalendarDay[] {
  const hd = new Holidays('VN');
  const statutory = new Map<string, { nameVi: string; nameEn: string }>();
  const add = (day: string, nameVi: string, nameEn: string) => {
    if (!statutory.has(day)) statutory.set(day, { nameVi, nameEn });
  };
  for (const h of hd.getHolidays(year, 'vi')) {
    if (h.type !== 'public') continue;
    // `start`/`end` are instants of local midnight (UTC+7); step through the local days they cover.
    const first = dayNumber(h.date.slice(0, 10));
    const days = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / 86_400_000));
    const en = englishName(h.rule);
    for (let i = 0; i < days; i++) add(fromDayNumber(first + i), h.name, en);
  }
  const nd = `${year}-09-02`;
  add(nationalDayAdjacent(nd), 'Quốc khánh (ngày liền kề)', 'National Day (adjacent day)');

  const off = new Set(statutory.keys());
  const out: CalendarDay[] = [...statutory].map(([day, n]) => ({ day, kind: 'holiday', ...n }));
  for (const [day, n] of [...statutory].sort(([a], [b]) => a.localeCompare(b))) {
    const wd = weekday(day);
    if (wd !== 0 && wd !== 6) continue;
    let comp = addDays(day, 1);
    while (weekday(comp) === 0 || weekday(comp) === 6 || off.has(comp)) comp = addDays(comp, 1);
    off.add(comp);
    out.push({
      day: comp,
      kind: 'holiday',
      nameVi: `Nghỉ bù ${n.nameVi}`,
      nameEn: `Compensatory day (${n.nameEn})`,
    });
  }
  return out.sort((a, b) => a.day.localeCompare(b.day));
}

/**
 * The second National Day holiday, decided yearly next to 2/9. The rule follows recent years: the day
 * that joins 2/9 to a weekend where possible (2021 Thu→3/9, 2022 Fri→1/9, 2024 Mon→3/9, 2025 Tue→1/9).
 */
export function nationalDayAdjacent(sep2: string): string {
  switch (weekday(sep2)) {
    case 1: // Monday: Tuesday 3/9
    case 4: // Thursday: Friday 3/9
    case 0: // Sunday: Monday 3/9
      return addDays(sep2, 1);
    default: // Tuesday, Wednesday, Friday, Saturday: 1/9
      return addDays(sep2, -1);
  }
}

function englishName(rule: string): string {
  if (rule === '01-01') return "New Year's Day";
  if (rule.includes('1-0-1')) return 'Lunar New Year';
  if (rule.includes('3-0-10')) return 'Hung Kings Commemoration';
  if (rule === '04-30') return 'Reunification Day';
  if (rule === '05-01') return 'International Labour Day';
  if (rule === '09-02') return 'National Day';
  return 'Public holiday';
}
