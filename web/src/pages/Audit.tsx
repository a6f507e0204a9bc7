import { type FormEvent, useState } from 'react';
import { type AuditEntry, api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Empty, ErrorBox, Loading, useAsync } from '../ui.tsx';

interface Filters {
  entity_type: string;
  entity_id: string;
  actor_id: string;
}
const NONE: Filters = { entity_type: '', entity_id: '', actor_id: '' };
const PAGE = 50;

export function AuditPage() {
  const { t, fmtDate } = useI18n();
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [limit, setLimit] = useState(PAGE);
  const res = useAsync(
    (s) => api.get<{ items: AuditEntry[] }>('/api/audit', { ...filters, limit }, s),
    [filters, limit],
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLimit(PAGE);
    setFilters({
      entity_type: draft.entity_type.trim(),
      entity_id: draft.entity_id.trim(),
      actor_id: draft.actor_id.trim(),
    });
  };
  const input = (key: keyof Filters, label: string) => (
    <div className="field">
      <label htmlFor={`audit-${key}`}>{label}</label>
      <input
        id={`audit-${key}`}
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </div>
  );

  return (
    <>
      <h1>{t('audit.title')}</h1>
      <form className="toolbar" onSubmit={submit}>
        {input('entity_type', t('audit.entityType'))}
        {input('entity_id', t('audit.entityId'))}
        {input('actor_id', t('audit.actorId'))}
        <button type="submit" className="btn btn-primary">
          {t('common.filter')}
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setDraft(NONE);
            setFilters(NONE);
            setLimit(PAGE);
          }}
        >
          {t('common.clear')}
        </button>
      </form>
      {res.loading && !res.data ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data && res.data.items.length === 0 ? <Empty>{t('audit.empty')}</Empty> : null}
      {res.data && res.data.items.length > 0 ? (
        <>
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
                {res.data.items.map((a) => (
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
          {res.data.items.length >= limit && limit < 1000 ? (
            <button type="button" className="btn" onClick={() => setLimit((l) => Math.min(l + PAGE, 1000))}>
              {t('common.more')}
            </button>
          ) : null}
        </>
      ) : null}
    </>
  );
}
