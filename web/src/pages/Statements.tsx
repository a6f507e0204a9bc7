import { useState } from 'react';
import { api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Empty, ErrorBox, Loading, useAsync } from '../ui.tsx';

interface Entry {
  id: string;
  invoice_number: string | null;
  invoice_kind: string;
  customer_name: string;
  contract_id: string;
  channel: string;
  base_vnd: number;
  rate_bp: number;
  amount_vnd: number;
}

interface Total {
  channel: string;
  unit_id: string | null;
  user_id: string | null;
  base_vnd: number;
  amount_vnd: number;
  entries: number;
}

/** This month in Viet Nam: invoices finalized this month make this month's statement. */
function thisMonth(): string {
  return new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' }).slice(0, 7);
}

/** Monthly channel-share statements (agents, AM/KAM; staff see everyone's), with CSV/Excel download. */
export function StatementsPage() {
  const { t, fmtNumber } = useI18n();
  const [month, setMonth] = useState(thisMonth);
  const res = useAsync(
    (s) =>
      api.get<{ month: string; totals: Total[]; entries: Entry[] }>(
        '/api/commissions/statements',
        { month },
        s,
      ),
    [month],
  );
  const file = (format: 'csv' | 'xlsx') => `/api/commissions/statements?month=${month}&format=${format}`;
  return (
    <>
      <h1>{t('statements.title')}</h1>
      <p className="muted">{t('statements.intro')}</p>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="st-month">{t('statements.month')}</label>
          <input
            id="st-month"
            type="month"
            value={month}
            onChange={(e) => e.target.value && setMonth(e.target.value)}
          />
        </div>
        <a className="btn" href={file('csv')} download>
          {t('statements.csv')}
        </a>
        <a className="btn" href={file('xlsx')} download>
          {t('statements.xlsx')}
        </a>
      </div>
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data && res.data.entries.length === 0 ? <Empty>{t('statements.empty', { month })}</Empty> : null}
      {res.data && res.data.entries.length > 0 ? (
        <>
          <div className="cards">
            {res.data.totals.map((x) => (
              <section
                className="card"
                key={`${x.channel}-${x.unit_id}-${x.user_id}`}
                data-testid="statement-total"
              >
                <h2>{t('statements.total', { channel: x.channel, who: x.unit_id ?? x.user_id ?? '—' })}</h2>
                <p className="stat">{fmtNumber(x.amount_vnd)} ₫</p>
                <p className="small muted">
                  {t('statements.base', { base: fmtNumber(x.base_vnd), n: x.entries })}
                </p>
              </section>
            ))}
          </div>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('statements.invoice')}</th>
                  <th scope="col">{t('contracts.customer')}</th>
                  <th scope="col">{t('contracts.id')}</th>
                  <th scope="col">{t('statements.base.col')}</th>
                  <th scope="col">{t('statements.rate')}</th>
                  <th scope="col">{t('statements.amount')}</th>
                </tr>
              </thead>
              <tbody>
                {res.data.entries.map((e) => (
                  <tr key={e.id}>
                    <td>
                      {e.invoice_number ?? '—'} <span className="small muted">{e.invoice_kind}</span>
                    </td>
                    <td>{e.customer_name}</td>
                    <td>
                      <code>{e.contract_id}</code>
                    </td>
                    <td>{fmtNumber(e.base_vnd)} ₫</td>
                    <td>{(e.rate_bp / 100).toFixed(2)} %</td>
                    <td>{fmtNumber(e.amount_vnd)} ₫</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </>
  );
}
