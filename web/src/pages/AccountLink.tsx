import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { Link } from '../router.tsx';
import { ErrorBox, Loading, useAction } from '../ui.tsx';

/** What the one-time link holds (the contracts module wipes it as it is read). */
interface AccountDetails {
  contract_id: string;
  portal_url?: string;
  admin_login: string;
  temporary_password: string;
  api_key: string;
  api_key_prefix?: string;
}

/**
 * The link works once: the request is made once per token for the page's life (React may mount an
 * effect twice), and the details live only in memory, never in storage.
 */
const opened = new Map<string, Promise<AccountDetails>>();
function openOnce(token: string): Promise<AccountDetails> {
  let p = opened.get(token);
  if (!p) {
    p = api.get<AccountDetails>(`/api/account-links/${encodeURIComponent(token)}`);
    opened.set(token, p);
  }
  return p;
}

/** The signing unit opens the account-details link, hands the details over, and confirms it. */
export function AccountLinkPage({ token }: { token: string }) {
  const { t } = useI18n();
  const [details, setDetails] = useState<AccountDetails | null>(null);
  const [error, setError] = useState<unknown>();
  const [channel, setChannel] = useState<'letter' | 'email'>('letter');
  const [delivered, setDelivered] = useState(false);
  const act = useAction();

  useEffect(() => {
    let live = true;
    openOnce(token).then(
      (d) => live && setDetails(d),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [token]);

  if (error) {
    return (
      <>
        <h1>{t('link.title')}</h1>
        <ErrorBox error={error} />
        <p>{t('link.usedHint')}</p>
      </>
    );
  }
  if (!details) return <Loading />;
  const rows: Array<[string, string]> = [
    [t('link.contract'), details.contract_id],
    [t('link.portal'), details.portal_url ?? location.origin],
    [t('link.login'), details.admin_login],
    [t('link.password'), details.temporary_password],
    [t('link.apiKey'), details.api_key],
  ];
  return (
    <>
      <h1>{t('link.title')}</h1>
      <p className="alert alert-warn" role="note">
        {t('link.once')}
      </p>
      <dl className="details">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>
              <code className="secret">{v}</code>
            </dd>
          </div>
        ))}
      </dl>
      <p>
        <a
          className="btn"
          href={`/api/contracts/${encodeURIComponent(details.contract_id)}/letter.pdf`}
          target="_blank"
          rel="noreferrer"
        >
          {t('contracts.letter')}
        </a>
      </p>
      {delivered ? (
        <p className="alert alert-ok" role="status">
          {t('link.delivered')} <Link href="/app/contracts">{t('nav.contracts')}</Link>
        </p>
      ) : (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            const ok = await act.run(() =>
              api.post(`/api/contracts/${encodeURIComponent(details.contract_id)}/deliver`, { channel }),
            );
            if (ok !== undefined) setDelivered(true);
          }}
        >
          <fieldset>
            <legend>{t('link.channel')}</legend>
            <label className="check">
              <input
                type="radio"
                name="channel"
                checked={channel === 'letter'}
                onChange={() => setChannel('letter')}
              />
              {t('link.channel.letter')}
            </label>
            <label className="check">
              <input
                type="radio"
                name="channel"
                checked={channel === 'email'}
                onChange={() => setChannel('email')}
              />
              {t('link.channel.email')}
            </label>
          </fieldset>
          <ErrorBox error={act.error} />
          <button type="submit" className="btn btn-primary" disabled={act.busy}>
            {t('contracts.delivered')}
          </button>
        </form>
      )}
    </>
  );
}
