import { createBusinessCalendar, defaultCalendarDays } from '../src/lib/calendar/calendar.ts';

/** `npm run bench -- calendar`: cost of the business-calendar calls every deadline and SLA uses. */
export async function run(_args: string[]): Promise<void> {
  const t0 = performance.now();
  const days = defaultCalendarDays();
  const loadMs = performance.now() - t0;
  const cal = createBusinessCalendar(days);
  const from = new Date('2026-02-10T03:00:00Z');
  const to = new Date('2026-12-31T03:00:00Z');
  const cases: Array<[string, () => unknown]> = [
    ['isWorkingDay', () => cal.isWorkingDay('2026-02-17')],
    ['addWorkingDays(1) across Tết', () => cal.addWorkingDays(from, 1)],
    ['addWorkingDays(20)', () => cal.addWorkingDays(from, 20)],
    ['addWorkingHours(16) across Tết', () => cal.addWorkingHours(from, 16)],
    ['workingDaysBetween (~1 year)', () => cal.workingDaysBetween(from, to)],
    ['workingMillisBetween (~1 year)', () => cal.workingMillisBetween(from, to)],
  ];
  console.log(`defaults: ${days.length} days (2023–2035) computed in ${loadMs.toFixed(1)} ms\n`);
  console.log('| call | median µs | p90 µs |\n|---|---:|---:|');
  for (const [name, fn] of cases) {
    const samples: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const s = performance.now();
      fn();
      samples.push((performance.now() - s) * 1000);
    }
    samples.sort((a, b) => a - b);
    const q = (p: number) => samples[Math.floor(p * (samples.length - 1))]!.toFixed(1);
    console.log(`| ${name} | ${q(0.5)} | ${q(0.9)} |`);
  }
}
