import { type FormEvent, useState } from 'react';
import { LangSwitch } from '../App.tsx';
import { useI18n } from '../i18n.tsx';
import { navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorBox, useAction } from '../ui.tsx';

export function LoginPage() {
  const { t } = useI18n();
  const { login } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const user = await run(() => login(email.trim(), password));
    if (user) {
      const next = new URLSearchParams(location.search).get('next');
      navigate(next?.startsWith('/app') ? next : '/app', { replace: true });
    }
  };

  return (
    <div className="login-wrap">
      <div className="login-lang">
        <LangSwitch />
      </div>
      <main className="login-card" id="main">
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <div>
            <div className="brand-name">{t('app.name')}</div>
            <div className="muted">{t('app.tagline')}</div>
          </div>
        </div>
        <h1>{t('login.title')}</h1>
        <p className="muted">{t('login.subtitle')}</p>
        <form onSubmit={submit} noValidate={false}>
          <div className="field">
            <label htmlFor="login-email">{t('login.email')}</label>
            <input
              id="login-email"
              name="email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="login-password">{t('login.password')}</label>
            <input
              id="login-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <ErrorBox error={error} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? t('login.busy') : t('login.submit')}
          </button>
        </form>
      </main>
    </div>
  );
}
