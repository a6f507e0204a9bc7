/**
 * Local calendar months. Billing months are months in the service's time zone
 * (Asia/Ho_Chi_Minh): an event at 23:59:59 local on the last day belongs to that month, one at
 * 00:00:00 on the 1st to the next.
 */
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface LocalMonth {
  /** `2026-11` */
  month: string;
  /** First local day, `2026-11-01`. */
  firstDay: string;
  /** Last local day, `2026-11-30`. */
  lastDay: string;
  /** The instants bounding the month: start inclusive, end exclusive. */
  start: Date;
  end: Date;
}

export function isMonth(value: string): boolean {
  return MONTH.test(value);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

function wallClock(
  at: Date,
  tz: string,
): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  const parts = Object.fromEntries(
    formatter(tz)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    y: Number(parts.year),
    m: Number(parts.month),
    d: Number(parts.day),
    hh: Number(parts.hour),
    mm: Number(parts.minute),
    ss: Number(parts.second),
  };
}

function offsetMs(at: number, tz: string): number {
  const w = wallClock(new Date(at), tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.hh, w.mm, w.ss) - Math.floor(at / 1000) * 1000;
}

/** The instant of local midnight starting `y-m-d` in `tz`. */
export function localMidnight(y: number, m: number, d: number, tz: string): Date {
  const guess = Date.UTC(y, m - 1, d);
  const first = guess - offsetMs(guess, tz);
  return new Date(guess - offsetMs(first, tz));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local date `YYYY-MM-DD` of an instant. */
export function localDate(at: Date, tz: string): string {
  const w = wallClock(at, tz);
  return `${w.y}-${pad(w.m)}-${pad(w.d)}`;
}

export function localMonth(month: string, tz: string): LocalMonth {
  const match = MONTH.exec(month);
  if (!match) throw new RangeError('month must be YYYY-MM');
  const y = Number(match[1]);
  const m = Number(match[2]);
  const ny = m === 12 ? y + 1 : y;
  const nm = m === 12 ? 1 : m + 1;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return {
    month,
    firstDay: `${month}-01`,
    lastDay: `${month}-${pad(days)}`,
    start: localMidnight(y, m, 1, tz),
    end: localMidnight(ny, nm, 1, tz),
  };
}

/** The local month an instant falls in. */
export function monthOf(at: Date, tz: string): string {
  return localDate(at, tz).slice(0, 7);
}

/** The month before `month`. */
export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${pad(m - 1)}`;
}
