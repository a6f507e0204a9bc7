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

/** After logging in with a handed-over temporary password: the owner picks their own before anything else. */
export function PasswordChangePage() {
  const { t } = useI18n();
  const { user, changePassword, logout } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const { busy, error, run } = useAction();
  const mismatch = again !== '' && again !== next;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mismatch) return;
    await run(() => changePassword(current, next));
  };

  return (
    <div className="login-wrap">
      <div className="login-lang">
        <LangSwitch />
      </div>
      <main className="login-card" id="main">
        <h1>{t('password.title')}</h1>
        <p className="muted">{t('password.intro', { email: user?.email ?? '' })}</p>
        <form onSubmit={submit}>
          <div className="field">
            <label htmlFor="pw-current">{t('password.current')}</label>
            <input
              id="pw-current"
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="pw-new">{t('password.new')}</label>
            <input
              id="pw-new"
              type="password"
              autoComplete="new-password"
              required
              minLength={10}
              aria-describedby="pw-rule"
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
            <small id="pw-rule" className="muted">
              {t('password.rule')}
            </small>
          </div>
          <div className="field">
            <label htmlFor="pw-again">{t('password.again')}</label>
            <input
              id="pw-again"
              type="password"
              autoComplete="new-password"
              required
              aria-invalid={mismatch}
              aria-describedby={mismatch ? 'pw-mismatch' : undefined}
              value={again}
              onChange={(e) => setAgain(e.target.value)}
            />
            {mismatch ? (
              <div id="pw-mismatch" className="alert alert-error" role="alert">
                {t('password.mismatch')}
              </div>
            ) : null}
          </div>
          <ErrorBox error={error} />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy || mismatch}>
            {t('password.submit')}
          </button>
        </form>
        <button
          type="button"
          className="btn btn-ghost btn-block"
          onClick={async () => {
            await logout();
            navigate('/login');
          }}
        >
          {t('nav.logout')}
        </button>
      </main>
    </div>
  );
}
