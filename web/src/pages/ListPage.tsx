import { type ReactNode, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { type MsgKey, useI18n } from '../i18n.tsx';
import { Empty, ErrorBox, Loading, useAction, useAsync } from '../ui.tsx';

export interface Column<T> {
  label: MsgKey;
  render(row: T): ReactNode;
}

export interface Filter {
  name: string;
  label: MsgKey;
  /** Options of a select; `undefined` makes it a checkbox, unless `input` asks for a text or date field. */
  options?: readonly string[];
  input?: 'search' | 'date';
  /** How an option is shown; by default its label under `<name>.<option>` in the dictionary (status.active). */
  optionLabel?: (option: string) => string;
}

const PAGE = 50;

/**
 * A list screen over one `GET` API returning `{ items }`: filters in the query, "load more" appends the
 * next page by `offset` (a growing `limit` hit each API's maximum and answered 400). `paged={false}` for
 * an API that always answers everything (units, price plans).
 */
export function ListPage<T extends { id: string | number }>({
  title,
  intro,
  url,
  columns,
  filters = [],
  empty,
  actions,
  reloadKey = 0,
  paged = true,
}: {
  title: MsgKey;
  intro?: MsgKey;
  url: string;
  columns: Column<T>[];
  filters?: Filter[];
  empty: MsgKey;
  actions?: (row: T, reload: () => void) => ReactNode;
  reloadKey?: number;
  paged?: boolean;
}) {
  const { t, label } = useI18n();
  const [values, setValues] = useState<Record<string, string>>({});
  const page = paged ? { limit: PAGE } : {};
  const res = useAsync(
    (s) => api.get<{ items: T[] }>(url, { ...values, ...page }, s),
    [url, JSON.stringify(values), reloadKey],
  );
  /** Pages after the first, and whether the last one was full. */
  const [more, setMore] = useState<{ items: T[]; full: boolean } | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new first page drops the pages after it
  useEffect(() => setMore(null), [url, JSON.stringify(values), reloadKey]);
  const loading = useAction();
  const set = (name: string, v: string) => setValues((old) => ({ ...old, [name]: v }));
  const reload = () => {
    setMore(null);
    res.reload();
  };
  const items = [...(res.data?.items ?? []), ...(more?.items ?? [])];
  const hasMore = paged && (more ? more.full : res.data?.items.length === PAGE);
  const loadMore = async () => {
    const next = await loading.run(() =>
      api.get<{ items: T[] }>(url, { ...values, limit: PAGE, offset: items.length }),
    );
    if (next) setMore({ items: [...(more?.items ?? []), ...next.items], full: next.items.length === PAGE });
  };
  return (
    <>
      <h1>{t(title)}</h1>
      {intro ? <p className="muted">{t(intro)}</p> : null}
      {filters.length > 0 ? (
        <div className="toolbar">
          {filters.map((f) =>
            f.input ? (
              <div className="field" key={f.name}>
                <label htmlFor={`f-${f.name}`}>{t(f.label)}</label>
                <input
                  id={`f-${f.name}`}
                  type={f.input}
                  value={values[f.name] ?? ''}
                  onChange={(e) => set(f.name, e.target.value)}
                />
              </div>
            ) : f.options ? (
              <div className="field" key={f.name}>
                <label htmlFor={`f-${f.name}`}>{t(f.label)}</label>
                <select
                  id={`f-${f.name}`}
                  value={values[f.name] ?? ''}
                  onChange={(e) => set(f.name, e.target.value)}
                >
                  <option value="">—</option>
                  {f.options.map((o) => (
                    <option key={o} value={o}>
                      {f.optionLabel ? f.optionLabel(o) : label(f.name, o)}
                    </option>
                  ))}
                </select>
              </div>
            ) : (
              <label className="check" key={f.name}>
                <input
                  type="checkbox"
                  checked={values[f.name] === 'true'}
                  onChange={(e) => set(f.name, e.target.checked ? 'true' : '')}
                />
                {t(f.label)}
              </label>
            ),
          )}
        </div>
      ) : null}
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={reload} />
      {res.data && items.length === 0 ? <Empty>{t(empty)}</Empty> : null}
      {res.data && items.length > 0 ? (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th scope="col" key={c.label}>
                      {t(c.label)}
                    </th>
                  ))}
                  {actions ? <th scope="col">{t('keys.actions')}</th> : null}
                </tr>
              </thead>
              <tbody>
                {items.map((row) => (
                  <tr key={row.id}>
                    {columns.map((c) => (
                      <td key={c.label} data-label={t(c.label)}>
                        {c.render(row)}
                      </td>
                    ))}
                    {actions ? (
                      <td data-label={t('keys.actions')} className="actions">
                        {actions(row, reload)}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ErrorBox error={loading.error} />
          {hasMore ? (
            <button type="button" className="btn" disabled={loading.busy} onClick={loadMore}>
              {t('common.more')}
            </button>
          ) : null}
        </>
      ) : null}
    </>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const { label } = useI18n();
  const cls = /^(active|approved|done|finalized|closed|resolved|renewed|delivered)$/.test(status)
    ? 'badge-ok'
    : /^(declined|cancelled|expired|abandoned|overdue|breached|failed|disabled)$/.test(status)
      ? 'badge-bad'
      : /^(review|expiring|cancellation_requested|waiting_customer|awaiting_review|draft|reopened)$/.test(
            status,
          )
        ? 'badge-warn'
        : '';
  return (
    <span className={`badge ${cls}`} data-status={status}>
      {label('status', status)}
    </span>
  );
}
