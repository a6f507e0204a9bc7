import { useState } from 'react';
import { api } from '../api.ts';
import { type MsgKey, useI18n } from '../i18n.tsx';
import { useUser } from '../session.tsx';
import { ErrorBox, Loading, useAsync } from '../ui.tsx';

/** `GET /api/billing/usage/daily`. */
interface DailyUsage {
  from: string;
  to: string;
  days: Array<{ day: string; requests: number }>;
  sessions: Record<string, number>;
}

const OUTCOMES = ['approved', 'review', 'declined'] as const;
/** Outcome colours: the badge colours, dark enough for text contrast on white. */
const COLOURS: Record<string, string> = {
  approved: '#136f3a',
  review: '#8a5300',
  declined: '#b00020',
  other: '#55607a',
};

/** The customer admin's usage screen: their own customer. */
export function UsagePage() {
  const { t } = useI18n();
  const user = useUser();
  return (
    <>
      <h1>{t('usage.pageTitle')}</h1>
      {user.customer_id ? (
        <>
          <div className="cards">
            <UsageCard />
          </div>
          <UsageCharts customerId={user.customer_id} />
        </>
      ) : (
        <p>{t('keys.noCustomer')}</p>
      )}
    </>
  );
}

/** Requests per day (bars) and sessions by outcome, with the numbers as a table for screen readers. */
export function UsageCharts({ customerId }: { customerId: string }) {
  const { t, fmtNumber } = useI18n();
  const [days, setDays] = useState(30);
  const res = useAsync(
    (s) => api.get<DailyUsage>('/api/billing/usage/daily', { customer_id: customerId, days }, s),
    [customerId, days],
  );
  const u = res.data;
  return (
    <div className="cards">
      <section className="card card-wide" aria-labelledby="daily-h">
        <h2 id="daily-h">{t('usage.perDay')}</h2>
        <div className="toolbar">
          <div className="field">
            <label htmlFor="usage-days">{t('usage.window')}</label>
            <select id="usage-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {[7, 30, 90].map((n) => (
                <option key={n} value={n}>
                  {t('usage.lastDays', { n })}
                </option>
              ))}
            </select>
          </div>
        </div>
        {res.loading && !u ? <Loading /> : null}
        <ErrorBox error={res.error} onRetry={res.reload} />
        {u ? (
          <>
            <p className="small muted" data-testid="usage-total">
              {t('usage.total', {
                n: fmtNumber(u.days.reduce((a, d) => a + d.requests, 0)),
                from: u.from,
                to: u.to,
              })}
            </p>
            <BarChart days={u.days} label={t('usage.chartLabel', { from: u.from, to: u.to })} />
            <details>
              <summary>{t('usage.asTable')}</summary>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('usage.day')}</th>
                    <th scope="col">{t('usage.requests')}</th>
                  </tr>
                </thead>
                <tbody>
                  {u.days.map((d) => (
                    <tr key={d.day}>
                      <td>{d.day}</td>
                      <td>{fmtNumber(d.requests)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        ) : null}
      </section>
      {u ? <Outcomes sessions={u.sessions} /> : null}
    </div>
  );
}

function BarChart({ days, label }: { days: DailyUsage['days']; label: string }) {
  const { t, fmtNumber } = useI18n();
  const W = 600;
  const H = 200;
  const top = Math.max(1, ...days.map((d) => d.requests));
  const slot = W / days.length;
  const bar = Math.max(1, slot * 0.8);
  // Axis labels are HTML: the SVG stretches to the card's width and would distort text.
  return (
    <figure className="chart-figure">
      <div className="small muted">{t('usage.peak', { n: fmtNumber(top) })}</div>
      <svg
        className="chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={label}
        data-testid="usage-chart"
        preserveAspectRatio="none"
      >
        <line x1={0} y1={H} x2={W} y2={H} stroke="#d5dbe6" />
        {days.map((d, i) => {
          const h = (d.requests / top) * (H - 10);
          return (
            <rect
              key={d.day}
              x={i * slot + (slot - bar) / 2}
              y={H - h}
              width={bar}
              height={h}
              fill="#0b4ea2"
              data-day={d.day}
              data-requests={d.requests}
            >
              <title>{`${d.day}: ${fmtNumber(d.requests)}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="chart-axis small muted">
        <span>{days[0]?.day}</span>
        <span>{days.at(-1)?.day}</span>
      </figcaption>
    </figure>
  );
}

function Outcomes({ sessions }: { sessions: Record<string, number> }) {
  const { t, fmtNumber } = useI18n();
  const total = Object.values(sessions).reduce((a, n) => a + n, 0);
  const other = total - OUTCOMES.reduce((a, o) => a + (sessions[o] ?? 0), 0);
  const rows: Array<{ key: string; label: MsgKey; n: number }> = [
    ...OUTCOMES.map((o) => ({ key: o, label: `usage.outcome.${o}` as MsgKey, n: sessions[o] ?? 0 })),
    { key: 'other', label: 'usage.outcome.other', n: other },
  ];
  const pct = (n: number) => (total ? Math.round((n / total) * 100) : 0);
  return (
    <section className="card" aria-labelledby="outcomes-h" data-testid="usage-outcomes">
      <h2 id="outcomes-h">{t('usage.outcomes')}</h2>
      {total === 0 ? (
        <p className="muted">{t('usage.noSessions')}</p>
      ) : (
        <>
          <svg className="chart" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
            {rows.map((r, i) => {
              const x = rows.slice(0, i).reduce((a, p) => a + (p.n / total) * 100, 0);
              return (
                <rect key={r.key} x={x} y={0} width={(r.n / total) * 100} height={8} fill={COLOURS[r.key]} />
              );
            })}
          </svg>
          <ul className="legend">
            {rows.map((r) => (
              <li key={r.key} data-outcome={r.key}>
                <span className="swatch" style={{ background: COLOURS[r.key] }} aria-hidden="true" />
                {t(r.label)}: <strong>{fmtNumber(r.n)}</strong> ({pct(r.n)}%)
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** `GET /api/billing/usage/current`: this month's running usage, cost and tier. */
interface Usage {
  month: string;
  requests: number;
  plan: string;
  tier_mode: string;
  tier: number;
  unit_price_vnd: number;
  amount_vnd: number;
  next_tier: { tier: number; starts_at: number; unit_price_vnd: number; requests_to_go: number } | null;
}

/** The customer admin's usage this month: requests, cost so far, current tier and the next threshold. */
export function UsageCard() {
  const { t, fmtNumber } = useI18n();
  const res = useAsync((s) => api.get<Usage>('/api/billing/usage/current', undefined, s), []);
  const u = res.data;
  const share = u?.next_tier ? Math.min(1, u.requests / Math.max(1, u.next_tier.starts_at - 1)) : 1;
  return (
    <section className="card" aria-labelledby="usage-h" data-testid="usage-card">
      <h2 id="usage-h">{t('usage.title', { month: u?.month ?? '' })}</h2>
      {res.loading ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {u ? (
        <>
          <dl className="usage">
            <div>
              <dt>{t('usage.requests')}</dt>
              <dd className="stat" data-testid="usage-requests">
                {fmtNumber(u.requests)}
              </dd>
            </div>
            <div>
              <dt>{t('usage.cost')}</dt>
              <dd className="stat" data-testid="usage-cost">
                {fmtNumber(u.amount_vnd)} ₫
              </dd>
            </div>
            <div>
              <dt>{t('usage.tier')}</dt>
              <dd data-testid="usage-tier">
                {t('usage.tierValue', { tier: u.tier, price: fmtNumber(u.unit_price_vnd) })}
              </dd>
            </div>
          </dl>
          {u.next_tier ? (
            <>
              <progress
                max={100}
                value={Math.round(share * 100)}
                aria-label={t('usage.toNext', {
                  n: fmtNumber(u.next_tier.requests_to_go),
                  tier: u.next_tier.tier,
                })}
              />
              <p className="small" data-testid="usage-next">
                {t('usage.next', {
                  tier: u.next_tier.tier,
                  at: fmtNumber(u.next_tier.starts_at),
                  price: fmtNumber(u.next_tier.unit_price_vnd),
                  n: fmtNumber(u.next_tier.requests_to_go),
                })}
              </p>
            </>
          ) : (
            <p className="small">{t('usage.topTier')}</p>
          )}
          <p className="muted small">{t('usage.plan', { plan: u.plan, mode: u.tier_mode })}</p>
        </>
      ) : null}
    </section>
  );
}
