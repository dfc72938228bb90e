// Log-in: username and password; a TOTP field appears when the server answers mfa_required.

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { isApiError } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { ErrorBanner, Notice, errorMessage } from '../components/common';
import { Icon } from '../components/Icon';

/** Only same-site paths are followed after log-in. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}

export function LoginPage() {
  const { status, login, notice } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const totpRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (needTotp) totpRef.current?.focus();
  }, [needTotp]);

  if (status === 'authenticated' && !busy) return <Navigate to={next} replace />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password, needTotp ? totp.trim() : undefined);
      navigate(next, { replace: true });
    } catch (err) {
      if (isApiError(err) && err.code === 'mfa_required') {
        if (needTotp && totp) setError(err.message || 'The verification code is not valid.');
        else setError(null);
        setNeedTotp(true);
        setTotp('');
      } else if (isApiError(err) && err.status === 401) {
        setError(err.message || 'Wrong username or password.');
      } else {
        setError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login-page">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <div className="login-brand">
          <Icon name="shield" size={34} className="brand-mark" />
          <div>
            <h1 id="login-title">Muhafiz</h1>
            <p>CERT operations platform</p>
          </div>
        </div>
        {notice && !error && <Notice tone="warning">{notice}</Notice>}
        <ErrorBanner error={error} />
        <div className="field">
          <label htmlFor="login-username">Username</label>
          <input
            id="login-username"
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
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
        {needTotp && (
          <div className="field">
            <label htmlFor="login-totp">Verification code</label>
            <input
              id="login-totp"
              ref={totpRef}
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]*"
              maxLength={8}
              required
              value={totp}
              onChange={(e) => setTotp(e.target.value.replace(/\s/g, ''))}
              aria-describedby="login-totp-help"
            />
            <p className="help" id="login-totp-help">
              Enter the 6-digit code from your authenticator app.
            </p>
          </div>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy || !username || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
