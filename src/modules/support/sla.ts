/**
 * SLA timers in business-calendar working time (08:00–17:00 Asia/Ho_Chi_Minh, holidays excluded).
 * A request's clock is `sla_active_ms` counted so far plus, while it runs, the working time since
 * `sla_running_since`; it pauses while the customer is awaited, a callback is scheduled, or the
 * request is resolved, and restarts when a request is reopened (the counted time is kept).
 */
import type { Priority, Queue } from './workflow.ts';

/** The part of the business calendar (`src/lib/calendar`) that the SLA uses. */
export interface SlaCalendar {
  isWorkingDay(day: string): boolean;
  localDate(at: Date): string;
  addWorkingDays(from: Date, n: number): Date;
  addWorkingHours(from: Date, hours: number): Date;
  workingMillisBetween(from: Date, to: Date): number;
}

export interface SlaTarget {
  queue: Queue;
  priority: Priority;
  firstResponseHours: number;
  resolutionHours: number;
}

export interface SlaClock {
  activeMs: number;
  runningSince: Date | null;
}

const HOUR = 3_600_000;
/** Working hours of the desk, local time in Asia/Ho_Chi_Minh (UTC+7 all year, no daylight saving). */
export const DESK_HOURS = { startHour: 8, endHour: 17 } as const;
const VN_OFFSET_MS = 7 * HOUR;

/** Working milliseconds counted on the clock at `now`. */
export function elapsedMs(clock: SlaClock, now: Date, cal: SlaCalendar): number {
  if (!clock.runningSince || now <= clock.runningSince) return clock.activeMs;
  return clock.activeMs + cal.workingMillisBetween(clock.runningSince, now);
}

/** The clock after a change at `now`: the running segment is banked, then it runs or pauses. */
export function switchClock(clock: SlaClock, now: Date, running: boolean, cal: SlaCalendar): SlaClock {
  return { activeMs: elapsedMs(clock, now, cal), runningSince: running ? now : null };
}

/** When the clock reaches `targetHours` if it keeps running; null while paused. */
export function dueAt(clock: SlaClock, targetHours: number, cal: SlaCalendar): Date | null {
  if (!clock.runningSince) return null;
  const remainingHours = targetHours - clock.activeMs / HOUR;
  if (remainingHours <= 0) return clock.runningSince;
  return cal.addWorkingHours(clock.runningSince, remainingHours);
}

export function hoursOf(ms: number): number {
  return Math.round((ms / HOUR) * 100) / 100;
}

/** A callback is agreed for a working day, inside desk hours, and in the future. */
export function isCallbackTimeValid(at: Date, now: Date, cal: SlaCalendar): boolean {
  if (at.getTime() <= now.getTime()) return false;
  if (!cal.isWorkingDay(cal.localDate(at))) return false;
  const local = new Date(at.getTime() + VN_OFFSET_MS);
  const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
  return minutes >= DESK_HOURS.startHour * 60 && minutes < DESK_HOURS.endHour * 60;
}

export interface SlaView {
  elapsed_hours: number;
  running: boolean;
  first_response: { target_hours: number; due_at: string | null; breached: boolean; hours: number | null };
  resolution: { target_hours: number; due_at: string | null; breached: boolean; hours: number | null };
}

export interface SlaRow {
  sla_active_ms: number;
  sla_running_since: Date | null;
  first_response_ms: number | null;
  resolution_ms: number | null;
  first_response_at: Date | null;
  resolved_at: Date | null;
}

/** Where a request stands against its targets at `now`. */
export function slaView(row: SlaRow, target: SlaTarget, now: Date, cal: SlaCalendar): SlaView {
  const clock = { activeMs: Number(row.sla_active_ms), runningSince: row.sla_running_since };
  const elapsed = elapsedMs(clock, now, cal);
  const frTarget = target.firstResponseHours * HOUR;
  const resTarget = target.resolutionHours * HOUR;
  const frMs = row.first_response_ms === null ? null : Number(row.first_response_ms);
  const resolved = row.resolved_at !== null && row.resolution_ms !== null && !clock.runningSince;
  const resMs = resolved ? Number(row.resolution_ms) : null;
  return {
    elapsed_hours: hoursOf(elapsed),
    running: clock.runningSince !== null,
    first_response: {
      target_hours: target.firstResponseHours,
      due_at: frMs === null ? (dueAt(clock, target.firstResponseHours, cal)?.toISOString() ?? null) : null,
      breached: (frMs ?? elapsed) > frTarget,
      hours: frMs === null ? null : hoursOf(frMs),
    },
    resolution: {
      target_hours: target.resolutionHours,
      due_at: resMs === null ? (dueAt(clock, target.resolutionHours, cal)?.toISOString() ?? null) : null,
      breached: (resMs ?? elapsed) > resTarget,
      hours: resMs === null ? null : hoursOf(resMs),
    },
  };
}
