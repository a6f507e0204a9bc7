import { type FormEvent, useState } from 'react';
import { type AuditEntry, api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Empty, ErrorBox, Loading, useAction, useAsync } from '../ui.tsx';

interface Filters {
  action: string;
  entity_type: string;
  entity_id: string;
  actor_id: string;
  from: string;
  to: string;
}
const NONE: Filters = { action: '', entity_type: '', entity_id: '', actor_id: '', from: '', to: '' };
const PAGE = 50;

interface AuditPage {
  items: AuditEntry[];
  next_before_id: number | null;
}

/** The admin's audit log: filters in one form, older pages appended by id (never skipped or repeated). */
export function AuditPage() {
  const { t, fmtDate } = useI18n();
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [older, setOlder] = useState<AuditPage | null>(null);
  const more = useAction();
  const res = useAsync((s) => api.get<AuditPage>('/api/audit', { ...filters, limit: PAGE }, s), [filters]);
  const apply = (f: Filters) => {
    setOlder(null);
    setFilters(f);
  };
  const items = [...(res.data?.items ?? []), ...(older?.items ?? [])];
  const next = older ? older.next_before_id : (res.data?.next_before_id ?? null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim()])) as unknown as Filters);
  };
  const input = (key: keyof Filters, label: string, type = 'text', hint?: string) => (
    <div className="field">
      <label htmlFor={`audit-${key}`}>{label}</label>
      <input
        id={`audit-${key}`}
        type={type}
        value={draft[key]}
        aria-describedby={hint ? `audit-${key}-hint` : undefined}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
      {hint ? (
        <small id={`audit-${key}-hint`} className="muted">
          {hint}
        </small>
      ) : null}
    </div>
  );

  return (
    <>
      <h1>{t('audit.title')}</h1>
      <form className="toolbar" onSubmit={submit}>
        {input('action', t('audit.action'), 'text', t('audit.actionHint'))}
        {input('entity_type', t('audit.entityType'))}
        {input('entity_id', t('audit.entityId'))}
        {input('actor_id', t('audit.actorId'))}
        {input('from', t('audit.from'), 'date')}
        {input('to', t('audit.to'), 'date')}
        <button type="submit" className="btn btn-primary">
          {t('common.filter')}
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setDraft(NONE);
            apply(NONE);
          }}
        >
          {t('common.clear')}
        </button>
      </form>
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data && items.length === 0 ? <Empty>{t('audit.empty')}</Empty> : null}
      {res.data && items.length > 0 ? (
        <>
          <p className="small muted" data-testid="audit-count" aria-live="polite">
            {t('audit.shown', { n: items.length })}
          </p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('audit.at')}</th>
                  <th scope="col">{t('audit.action')}</th>
                  <th scope="col">{t('audit.entity')}</th>
                  <th scope="col">{t('audit.actor')}</th>
                  <th scope="col">{t('audit.details')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.id}>
                    <td data-label={t('audit.at')}>{fmtDate(a.at)}</td>
                    <td data-label={t('audit.action')}>
                      <code>{a.action}</code>
                    </td>
                    <td data-label={t('audit.entity')}>
                      {a.entity_type}
                      {a.entity_id ? (
                        <>
                          {' '}
                          <code>{a.entity_id}</code>
                        </>
                      ) : null}
                    </td>
                    <td data-label={t('audit.actor')}>
                      {a.actor_type}
                      {a.actor_id ? (
                        <>
                          {' '}
                          <code>{a.actor_id}</code>
                        </>
                      ) : null}
                    </td>
                    <td data-label={t('audit.details')} className="details">
                      {Object.keys(a.details ?? {}).length ? <code>{JSON.stringify(a.details)}</code> : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ErrorBox error={more.error} />
          {next !== null ? (
            <button
              type="button"
              className="btn"
              disabled={more.busy}
              onClick={async () => {
                const page = await more.run(() =>
                  api.get<AuditPage>('/api/audit', { ...filters, limit: PAGE, before_id: next }),
                );
                if (page)
                  setOlder({
                    items: [...(older?.items ?? []), ...page.items],
                    next_before_id: page.next_before_id,
                  });
              }}
            >
              {t('audit.older')}
            </button>
          ) : (
            <p className="small muted">{t('audit.end')}</p>
          )}
        </>
      ) : null}
    </>
  );
}
