import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { DownloadButton } from '../download.tsx';
import { useI18n } from '../i18n.tsx';
import { Link } from '../router.tsx';
import { FormModal } from '../ui.tsx';

/** `POST /api/billing/runs` (billing.service.ts RunSummary). */
interface RunSummary {
  month: string;
  customers: number;
  created: number;
  updated: number;
  skippedFinalized: number;
  billedEvents: number;
  unbilledEvents: number;
  subtotalVnd: number;
}

/** Last month in Viet Nam: the month a run usually bills. */
function lastMonth(): string {
  const [y, m] = new Date()
    .toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' })
    .split('-')
    .map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/**
 * Admins and operators re-run a month (the job runs it on the 1st by itself) and export its invoices and
 * usage. The run answers only when done, so its dialog shows the seconds it has been running.
 */
export function BillingPage() {
  const { t, fmtNumber } = useI18n();
  const [month, setMonth] = useState(lastMonth);
  const [confirming, setConfirming] = useState(false);
  const [summary, setSummary] = useState<RunSummary | null>(null);
  const [started, setStarted] = useState<number | null>(null);
  const [now, setNow] = useState(0);
  useEffect(() => {
    if (started === null) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [started]);

  const run = async () => {
    const at = Date.now();
    setNow(at);
    setStarted(at);
    try {
      return await api.post<RunSummary>('/api/billing/runs', { month });
    } finally {
      setStarted(null);
    }
  };

  const rows: Array<[string, string]> = summary
    ? [
        [t('billing.customers'), fmtNumber(summary.customers)],
        [t('billing.created'), fmtNumber(summary.created)],
        [t('billing.updated'), fmtNumber(summary.updated)],
        [t('billing.skipped'), fmtNumber(summary.skippedFinalized)],
        [t('billing.events'), fmtNumber(summary.billedEvents)],
        [t('billing.unbilled'), fmtNumber(summary.unbilledEvents)],
        [t('billing.subtotal'), `${fmtNumber(summary.subtotalVnd)} ₫`],
      ]
    : [];
  return (
    <>
      <h1>{t('billing.title')}</h1>
      <p className="muted">{t('billing.intro')}</p>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="billing-month">{t('billing.month')}</label>
          <input
            id="billing-month"
            type="month"
            value={month}
            onChange={(e) => {
              if (!e.target.value) return;
              setMonth(e.target.value);
              setSummary(null);
            }}
          />
        </div>
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => {
            setSummary(null);
            setConfirming(true);
          }}
        >
          {t('billing.run')}
        </button>
      </div>
      {confirming ? (
        <FormModal
          title={t('billing.confirmTitle', { month })}
          submit={t('billing.run')}
          onSubmit={run}
          onDone={(s) => {
            setConfirming(false);
            setSummary(s);
          }}
          onClose={() => setConfirming(false)}
        >
          <p>{t('billing.confirm', { month })}</p>
          {started !== null ? (
            <p role="status" data-testid="billing-running">
              <progress aria-label={t('billing.run')} />{' '}
              {t('billing.running', { month, s: Math.max(0, Math.round((now - started) / 1000)) })}
            </p>
          ) : null}
        </FormModal>
      ) : null}
      {summary ? (
        <section className="card" aria-labelledby="billing-done-h" data-testid="billing-summary">
          <h2 id="billing-done-h">{t('billing.done', { month: summary.month })}</h2>
          <dl className="usage">
            {rows.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
          <Link href="/app/invoices">{t('billing.toInvoices')} →</Link>
        </section>
      ) : null}
      <section className="card" aria-labelledby="billing-exports-h">
        <h2 id="billing-exports-h">{t('billing.exports', { month })}</h2>
        <div className="toolbar">
          <DownloadButton
            url="/api/invoices/export"
            query={{ month, format: 'csv' }}
            label={t('billing.invoicesCsv')}
          />
          <DownloadButton
            url="/api/invoices/export"
            query={{ month, format: 'xlsx' }}
            label={t('billing.invoicesXlsx')}
          />
          <DownloadButton
            url="/api/billing/usage/export"
            query={{ month, format: 'csv' }}
            label={t('billing.usageCsv')}
          />
          <DownloadButton
            url="/api/billing/usage/export"
            query={{ month, format: 'xlsx' }}
            label={t('billing.usageXlsx')}
          />
        </div>
      </section>
    </>
  );
}
