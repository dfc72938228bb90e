// Who is signed in. Loads the session once (GET /auth/me), exposes login and logout,
// and drops the session when any request answers 401 (RequireAuth then shows the log-in page).

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { auth } from '../api/endpoints';
import { isApiError, onUnauthorized, setCsrfToken } from '../api/client';
import type { Role, User } from '../api/types';

type Status = 'loading' | 'anonymous' | 'authenticated';

interface AuthValue {
  status: Status;
  user: User | null;
  /** Why the user is on the log-in page (session expired, server unreachable), if not plain. */
  notice: string | null;
  /** Signed in, but the account must set up MFA before anything else works. */
  mfaEnrolmentRequired: boolean;
  login(username: string, password: string, totp?: string): Promise<User>;
  logout(): Promise<void>;
  refresh(): Promise<void>;
  hasRole(...roles: Role[]): boolean;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Status>('loading');
  const [user, setUser] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [mfaEnrolmentRequired, setMfaEnrolmentRequired] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const s = await auth.me();
      setUser(s.user);
      setMfaEnrolmentRequired(!!s.mfa_enrolment_required);
      setStatus('authenticated');
    } catch (e) {
      setUser(null);
      setStatus('anonymous');
      if (isApiError(e) && e.status !== 401) setNotice(e.message);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(
    () =>
      onUnauthorized(() => {
        setCsrfToken(null);
        setUser(null);
        setStatus('anonymous');
        setNotice('Your session has ended. Sign in again.');
      }),
    [],
  );

  const login = useCallback(async (username: string, password: string, totp?: string) => {
    const s = await auth.login(username, password, totp);
    setUser(s.user);
    setMfaEnrolmentRequired(!!s.mfa_enrolment_required);
    setNotice(null);
    setStatus('authenticated');
    return s.user;
  }, []);

  const logout = useCallback(async () => {
    try {
      await auth.logout();
    } catch {
      // The session is gone either way.
    }
    setUser(null);
    setNotice(null);
    setStatus('anonymous');
  }, []);

  const value = useMemo<AuthValue>(
    () => ({
      status,
      user,
      notice,
      mfaEnrolmentRequired,
      login,
      logout,
      refresh,
      hasRole: (...roles: Role[]) => !!user && roles.includes(user.role),
    }),
    [status, user, notice, mfaEnrolmentRequired, login, logout, refresh],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
