import type { Db, SqlParam } from '../../db/client.ts';
import { customerScopeSql } from '../accounts/scope.ts';
import type { Visibility } from './support.repo.ts';

export interface ReportLine {
  queue: string;
  category: string;
  requests: number;
  resolved: number;
  closed: number;
  first_response_median_hours: number | null;
  first_response_mean_hours: number | null;
  resolution_median_hours: number | null;
  resolution_mean_hours: number | null;
  first_response_breaches: number;
  resolution_breaches: number;
  reopened_requests: number;
  reopen_rate: number | null;
  reviews: number;
  satisfied_reviews: number;
  satisfaction_rate: number | null;
}

interface Raw {
  queue: string;
  category: string;
  status: string;
  first_response_ms: number | null;
  resolution_ms: number | null;
  resolved_at: Date | null;
  first_response_breached_at: Date | null;
  resolution_breached_at: Date | null;
  reopen_count: number;
  reviews: number;
  satisfied_reviews: number;
}

const HOUR = 3_600_000;
const round2 = (n: number) => Math.round(n * 100) / 100;

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const hours = (x: number | null) => (x === null ? null : round2(x / HOUR));
const rate = (a: number, b: number) => (b ? round2(a / b) : null);

function line(queue: string, category: string, rows: Raw[]): ReportLine {
  const fr = rows.filter((r) => r.first_response_ms !== null).map((r) => Number(r.first_response_ms));
  const res = rows.filter((r) => r.resolution_ms !== null).map((r) => Number(r.resolution_ms));
  const resolved = rows.filter((r) => r.resolved_at !== null).length;
  const reopened = rows.filter((r) => r.reopen_count > 0).length;
  const reviews = rows.reduce((a, r) => a + Number(r.reviews), 0);
  const satisfied = rows.reduce((a, r) => a + Number(r.satisfied_reviews), 0);
  return {
    queue,
    category,
    requests: rows.length,
    resolved,
    closed: rows.filter((r) => r.status === 'closed').length,
    first_response_median_hours: hours(median(fr)),
    first_response_mean_hours: hours(mean(fr)),
    resolution_median_hours: hours(median(res)),
    resolution_mean_hours: hours(mean(res)),
    first_response_breaches: rows.filter((r) => r.first_response_breached_at).length,
    resolution_breaches: rows.filter((r) => r.resolution_breached_at).length,
    reopened_requests: reopened,
    reopen_rate: rate(reopened, resolved),
    reviews,
    satisfied_reviews: satisfied,
    satisfaction_rate: rate(satisfied, reviews),
  };
}

/** Volume, response and resolution times (working hours), breaches, reopen and satisfaction rates. */
export async function supportReport(
  db: Db,
  v: Visibility,
  period: { from: Date; to: Date },
): Promise<{ from: string; to: string; total: ReportLine; lines: ReportLine[] }> {
  const params: SqlParam[] = [period.from, period.to];
  let where =
    v.scope.kind === 'all'
      ? 'TRUE'
      : `r.customer_id IS NOT NULL AND ${customerScopeSql(v.scope, 'r.customer_id', params)}`;
  if (v.queues) {
    params.push(v.queues);
    where += ` AND r.queue = ANY($${params.length}::text[])`;
  }
  const rows = await db.query<Raw>(
    `SELECT r.queue, r.category, r.status, r.first_response_ms, r.resolution_ms, r.resolved_at,
            r.first_response_breached_at, r.resolution_breached_at, r.reopen_count,
            (SELECT count(*) FROM support_events e WHERE e.request_id = r.id AND e.kind = 'review') AS reviews,
            (SELECT count(*) FROM support_events e WHERE e.request_id = r.id AND e.kind = 'review' AND e.satisfied) AS satisfied_reviews
     FROM support_requests r
     WHERE r.received_at >= $1 AND r.received_at < $2 AND ${where}`,
    params,
  );
  const groups = new Map<string, Raw[]>();
  for (const r of rows) {
    const key = `${r.queue}\u0000${r.category}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const lines = [...groups.entries()]
    .map(([key, g]) => {
      const [queue, category] = key.split('\u0000') as [string, string];
      return line(queue, category, g);
    })
    .sort((a, b) => a.queue.localeCompare(b.queue) || a.category.localeCompare(b.category));
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    total: line('*', '*', rows),
    lines,
  };
}

const COLUMNS: Array<keyof ReportLine> = [
  'queue',
  'category',
  'requests',
  'resolved',
  'closed',
  'first_response_median_hours',
  'first_response_mean_hours',
  'resolution_median_hours',
  'resolution_mean_hours',
  'first_response_breaches',
  'resolution_breaches',
  'reopened_requests',
  'reopen_rate',
  'reviews',
  'satisfied_reviews',
  'satisfaction_rate',
];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // A cell starting with = + - @ would run as a formula in a spreadsheet.
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function reportCsv(report: { lines: ReportLine[]; total: ReportLine }): string {
  const out = [COLUMNS.join(',')];
  for (const l of [...report.lines, report.total]) out.push(COLUMNS.map((c) => csvCell(l[c])).join(','));
  return `${out.join('\r\n')}\r\n`;
}
