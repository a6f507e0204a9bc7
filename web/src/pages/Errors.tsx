import { api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { ErrorBox, Loading, useAsync } from '../ui.tsx';

interface ErrorDef {
  code: string;
  status: number;
  title: string;
}

export function ErrorsPage() {
  const { t } = useI18n();
  const res = useAsync((s) => api.get<{ items: ErrorDef[] }>('/api/errors', undefined, s), []);
  return (
    <>
      <h1>{t('errors.title')}</h1>
      <p className="muted">{t('errors.intro')}</p>
      {res.loading ? <Loading /> : null}
      <ErrorBox error={res.error} onRetry={res.reload} />
      {res.data ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('errors.code')}</th>
                <th scope="col">{t('errors.status')}</th>
                <th scope="col">{t('errors.meaning')}</th>
              </tr>
            </thead>
            <tbody>
              {res.data.items.map((e) => (
                <tr key={e.code} id={e.code}>
                  <td data-label={t('errors.code')}>
                    <code>{e.code}</code>
                  </td>
                  <td data-label={t('errors.status')}>{e.status}</td>
                  <td data-label={t('errors.meaning')}>{e.title}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
