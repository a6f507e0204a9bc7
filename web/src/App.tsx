import { useEffect, useState } from 'react';
import { CaptureFlow } from './capture/CaptureFlow.tsx';
import { useI18n } from './i18n.tsx';
import { navFor } from './nav.ts';
import { AccountLinkPage } from './pages/AccountLink.tsx';
import { CalendarPage, NoticesPage, PlansPage, TrustPage, UnitsPage } from './pages/Admin.tsx';
import { ApiKeysPage, MyApiKeysPage } from './pages/ApiKeys.tsx';
import { AuditPage } from './pages/Audit.tsx';
import { BillingPage } from './pages/Billing.tsx';
import { CustomerDetailPage, CustomersPage } from './pages/Customers.tsx';
import { ErrorsPage } from './pages/Errors.tsx';
import { HomePage } from './pages/Home.tsx';
import { LoginPage, PasswordChangePage } from './pages/Login.tsx';
import { RulesPage } from './pages/Rules.tsx';
import { SessionCasePage } from './pages/SessionCase.tsx';
import { StatementsPage } from './pages/Statements.tsx';
import { NewSupportRequest, SupportRequestPage } from './pages/SupportRequest.tsx';
import { UsagePage } from './pages/Usage.tsx';
import { UsersPage } from './pages/Users.tsx';
import { WebhooksPage } from './pages/Webhooks.tsx';
import { ContractsPage, InvoicesPage, SessionsPage, SupportPage, TasksPage } from './pages/Work.tsx';
import { Link, match, navigate, useLocation } from './router.tsx';
import { useSession, useUser } from './session.tsx';
import { Loading } from './ui.tsx';

export function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  const other = lang === 'vi' ? 'en' : 'vi';
  return (
    <button
      type="button"
      className="btn btn-ghost lang-switch"
      lang={other}
      aria-label={`${t('lang.label')}: ${t('lang.switch')}`}
      onClick={() => setLang(other)}
    >
      {other.toUpperCase()}
    </button>
  );
}

export function App() {
  const { path } = useLocation();
  const { user, checking } = useSession();

  const capture = match('/capture/:token', path);
  if (capture) return <CaptureFlow token={capture.token!} />;
  if (checking) return <Loading />;
  if (!user) {
    if (path !== '/login') {
      const next = path.startsWith('/app') ? `?next=${encodeURIComponent(path)}` : '';
      queueMicrotask(() => navigate(`/login${next}`, { replace: true }));
    }
    return <LoginPage />;
  }
  if (path === '/' || path === '/login') {
    queueMicrotask(() => navigate('/app', { replace: true }));
    return <Loading />;
  }
  // The server refuses everything else until then, so there is nothing else to show.
  if (user.must_change_password) return <PasswordChangePage />;
  return <Shell path={path} />;
}

function Page({ path }: { path: string }) {
  const user = useUser();
  const { t } = useI18n();
  if (path === '/app') return <HomePage />;
  if (path === '/app/customers') return <CustomersPage />;
  const c = match('/app/customers/:id', path);
  if (c) return <CustomerDetailPage id={c.id!} />;
  const k = match('/app/customers/:id/api-keys', path);
  if (k) return <ApiKeysPage customerId={k.id!} />;
  if (path === '/app/api-keys') return <MyApiKeysPage />;
  if (path === '/app/usage') return <UsagePage />;
  if (path === '/app/rules') return <RulesPage />;
  if (path === '/app/webhooks') return <WebhooksPage />;
  if (path === '/app/audit' && user.role === 'admin') return <AuditPage />;
  if (path === '/app/errors') return <ErrorsPage />;
  if (path === '/app/notices') return <NoticesPage />;
  if (path === '/app/units') return <UnitsPage />;
  if (path === '/app/users' && user.role === 'admin') return <UsersPage />;
  if (path === '/app/plans') return <PlansPage />;
  if (path === '/app/billing' && (user.role === 'admin' || user.role === 'operator')) return <BillingPage />;
  if (path === '/app/trust' && user.role === 'admin') return <TrustPage />;
  if (path === '/app/calendar') return <CalendarPage />;
  if (path === '/app/statements') return <StatementsPage />;
  if (path === '/app/contracts') return <ContractsPage />;
  if (path === '/app/tasks') return <TasksPage />;
  if (path === '/app/invoices') return <InvoicesPage />;
  if (path === '/app/support')
    return (
      <>
        <NewSupportRequest />
        <SupportPage />
      </>
    );
  const sr = match('/app/support/:id', path);
  if (sr) return <SupportRequestPage id={sr.id!} />;
  if (path === '/app/sessions') return <SessionsPage />;
  const sc = match('/app/sessions/:id', path);
  if (sc) return <SessionCasePage id={sc.id!} />;
  const al = match('/app/account-links/:token', path);
  if (al) return <AccountLinkPage token={al.token!} />;
  return (
    <div className="alert alert-error" role="alert">
      {t('error.notFound')}
    </div>
  );
}

function Shell({ path }: { path: string }) {
  const { t } = useI18n();
  const user = useUser();
  const { logout } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const items = navFor(user.role);

  // biome-ignore lint/correctness/useExhaustiveDependencies: close the mobile menu on navigation
  useEffect(() => setMenuOpen(false), [path]);

  const isActive = (href: string) => (href === '/app' ? path === '/app' : path.startsWith(href));

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('skip.content')}
      </a>
      <header className="topbar">
        <button
          type="button"
          className="btn btn-ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="sidenav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          ☰ <span className="sr-only">{t('nav.menu')}</span>
        </button>
        <Link href="/app" className="brand">
          <img src="/favicon.svg" alt="" width={28} height={28} />
          <span>{t('app.name')}</span>
        </Link>
        <div className="topbar-right">
          <span className="user-chip" title={user.email}>
            <span className="user-name">{user.full_name}</span>
            <span className="badge">{t(`role.${user.role}`)}</span>
          </span>
          <LangSwitch />
          <button
            type="button"
            className="btn btn-ghost"
            onClick={async () => {
              await logout();
              navigate('/login');
            }}
          >
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <nav id="sidenav" className={`sidenav${menuOpen ? ' open' : ''}`} aria-label={t('nav.label')}>
        <ul>
          {items.map((i) => (
            <li key={i.href}>
              {i.external ? (
                <a href={i.href} target="_blank" rel="noreferrer">
                  {t(i.label)} ↗
                </a>
              ) : (
                <Link href={i.href} aria-current={isActive(i.href) ? 'page' : undefined}>
                  {t(i.label)}
                </Link>
              )}
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Page path={path} />
      </main>
    </div>
  );
}
