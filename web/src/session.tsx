import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, onUnauthenticated, readCookie, request, type User } from './api.ts';

interface Session {
  user: User | null;
  /** True until the first /api/auth/me answer. */
  checking: boolean;
  login(email: string, password: string): Promise<User>;
  logout(): Promise<void>;
  /** Replaces the password (required first after a temporary one); the user can then use the portal. */
  changePassword(current: string, next: string): Promise<User>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);

  useEffect(() => {
    onUnauthenticated(() => setUser(null));
    // The CSRF cookie lives exactly as long as the session: without it there is nothing to ask.
    if (!readCookie('ekyc_csrf')) {
      setChecking(false);
      return;
    }
    request<User>('/api/auth/me', { allow401: true })
      .then(setUser, () => setUser(null))
      .finally(() => setChecking(false));
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const res = await request<{ user: User }>('/api/auth/login', {
      method: 'POST',
      body: { email, password },
      allow401: true,
    });
    setUser(res.user);
    return res.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.post('/api/auth/logout');
    } finally {
      setUser(null);
    }
  }, []);

  const changePassword = useCallback(async (current: string, next: string) => {
    const changed = await api.post<User>('/api/auth/password', {
      current_password: current,
      new_password: next,
    });
    setUser(changed);
    return changed;
  }, []);

  const value = useMemo(
    () => ({ user, checking, login, logout, changePassword }),
    [user, checking, login, logout, changePassword],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

export function useUser(): User {
  const { user } = useSession();
  if (!user) throw new Error('not logged in');
  return user;
}
