// Account: own profile, MFA enrolment, own API tokens.

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { auth } from '../api/endpoints';
import type { ApiToken, MfaSetup, NewToken, Scope } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { ConfirmDialog, ErrorBanner, Field, Notice, PageHeader, Spinner, errorMessage } from '../components/common';
import { formatTime } from '../lib/format';

const EXPIRY_CHOICES: { label: string; seconds: number }[] = [
  { label: '1 day', seconds: 86_400 },
  { label: '7 days', seconds: 7 * 86_400 },
  { label: '30 days', seconds: 30 * 86_400 },
  { label: '90 days', seconds: 90 * 86_400 },
  { label: '1 year', seconds: 365 * 86_400 },
];

export function MfaSection() {
  const { user, refresh } = useAuth();
  const [setup, setSetup] = useState<MfaSetup | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  async function start() {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setSetup(await auth.mfaSetup());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  async function confirm(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (user?.mfa_enabled) {
        await auth.mfaDisable(code.trim());
        setDone('Two-factor authentication is now off.');
      } else {
        await auth.mfaEnable(code.trim());
        setDone('Two-factor authentication is on. You will be asked for a code at every log-in.');
        setSetup(null);
      }
      setCode('');
      await refresh();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="mfa-title">
      <h2 id="mfa-title">Two-factor authentication</h2>
      {done && <Notice tone="success">{done}</Notice>}
      <ErrorBanner error={error} />
      {user?.mfa_enabled ? (
        <>
          <p>
            <span className="badge badge-ok">enabled</span> Log-ins need a code from your authenticator app.
          </p>
          <form className="inline-form" onSubmit={confirm}>
            <Field id="mfa-disable-code" label="Code to turn it off">
              <input
                id="mfa-disable-code"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={8}
                value={code}
                onChange={(e) => setCode(e.target.value.replace(/\s/g, ''))}
              />
            </Field>
            <button type="submit" className="btn btn-danger-outline" disabled={busy || code.length < 6}>
              Turn off
            </button>
          </form>
        </>
      ) : setup ? (
        <form onSubmit={confirm} data-testid="mfa-setup">
          <ol className="steps">
            <li>
              Add this account to your authenticator app with the secret
              <code className="secret" data-testid="mfa-secret">
                {setup.secret.replace(/(.{4})/g, '$1 ').trim()}
              </code>
              or the setup link
              <code className="secret small" data-testid="mfa-uri">
                {setup.otpauth_uri}
              </code>
            </li>
            <li>
              <div className="inline-form">
                <Field id="mfa-code" label="Enter the code it shows">
                  <input
                    id="mfa-code"
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    maxLength={8}
                    value={code}
                    onChange={(e) => setCode(e.target.value.replace(/\s/g, ''))}
                  />
                </Field>
                <button type="submit" className="btn btn-primary" disabled={busy || code.length < 6}>
                  {busy ? 'Checking…' : 'Confirm and enable'}
                </button>
                <button type="button" className="btn btn-ghost" onClick={() => setSetup(null)}>
                  Cancel
                </button>
              </div>
            </li>
          </ol>
        </form>
      ) : (
        <>
          <p>
            <span className="badge badge-warn">not enabled</span> Protect this account with a time-based code (TOTP)
            from an authenticator app.
          </p>
          <button type="button" className="btn btn-primary" onClick={start} disabled={busy}>
            Set up two-factor authentication
          </button>
        </>
      )}
    </section>
  );
}

function TokensSection() {
  const { hasRole } = useAuth();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const [expiry, setExpiry] = useState(EXPIRY_CHOICES[2].seconds);
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<NewToken | null>(null);
  const [copied, setCopied] = useState(false);
  const [toRevoke, setToRevoke] = useState<ApiToken | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setTokens(await auth.tokens());
      setError(null);
    } catch (e) {
      setError(e);
      setTokens([]);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const available: Scope[] = hasRole('admin') ? ['read', 'write', 'admin'] : ['read', 'write'];

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    setCreated(null);
    setCopied(false);
    try {
      const t = await auth.createToken({
        scopes,
        expires_in: expiry,
        name: name.trim() || undefined,
      });
      if (!t?.token) throw new Error('The server did not return the new token.');
      setCreated(t);
      setName('');
      await load();
    } catch (err) {
      setFormError(err);
    } finally {
      setBusy(false);
    }
  }

  async function revoke() {
    if (!toRevoke) return;
    setRevokeError(null);
    try {
      await auth.revokeToken(toRevoke.id);
      setToRevoke(null);
      await load();
    } catch (e) {
      setRevokeError(e);
    }
  }

  return (
    <section className="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">
        Tokens let scripts call the API as you: <code>Authorization: Bearer mfz_…</code>. A token is shown once, when it
        is created.
      </p>

      {created && (
        <div className="token-once" role="status" data-testid="new-token">
          <p>
            <strong>Copy this token now.</strong> It will not be shown again. Expires {formatTime(created.expires_at)}.
          </p>
          <div className="token-value">
            <code>{created.token}</code>
            <button
              type="button"
              className="btn btn-small"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(created.token);
                  setCopied(true);
                } catch {
                  setCopied(false);
                }
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </div>
      )}

      <form className="token-form" onSubmit={create} data-testid="token-form">
        <h3>New token</h3>
        <ErrorBanner error={formError} title="Not created." />
        <div className="form-grid">
          <Field id="token-name" label="Name">
            <input id="token-name" placeholder="e.g. feed uploader" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="token-expiry" label="Expires in">
            <select id="token-expiry" value={expiry} onChange={(e) => setExpiry(Number(e.target.value))}>
              {EXPIRY_CHOICES.map((c) => (
                <option key={c.seconds} value={c.seconds}>
                  {c.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <fieldset className="checks">
          <legend>Scopes</legend>
          {available.map((s) => (
            <label key={s} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => setScopes((prev) => (e.target.checked ? [...prev, s] : prev.filter((x) => x !== s)))}
              />
              {s}
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || scopes.length === 0}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>

      <h3>Your tokens</h3>
      <ErrorBanner error={error} />
      {tokens === null ? (
        <Spinner />
      ) : tokens.length === 0 ? (
        <p className="muted">No tokens.</p>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="tokens-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col" className="actions-col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} className={t.revoked_at ? 'row-muted' : undefined}>
                  <th scope="row">{t.name || <span className="muted mono small">{t.id}</span>}</th>
                  <td>
                    {(t.scopes ?? []).map((s) => (
                      <span key={s} className="badge badge-plain">
                        {s}
                      </span>
                    ))}
                  </td>
                  <td className="nowrap">{formatTime(t.created_at)}</td>
                  <td className="nowrap">{formatTime(t.expires_at)}</td>
                  <td className="nowrap">{formatTime(t.last_used_at)}</td>
                  <td className="actions-col">
                    {t.revoked_at ? (
                      <span className="badge badge-warn" title={formatTime(t.revoked_at)}>
                        revoked
                      </span>
                    ) : (
                      <button
                        type="button"
                        className="btn btn-small btn-danger-outline"
                        onClick={() => {
                          setRevokeError(null);
                          setToRevoke(t);
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={toRevoke !== null}
        title="Revoke this token?"
        confirmLabel="Revoke token"
        danger
        error={revokeError ? errorMessage(revokeError) : null}
        onConfirm={revoke}
        onCancel={() => setToRevoke(null)}
      >
        <p>
          Scripts that use <strong>{toRevoke?.name || toRevoke?.id}</strong> stop working at once.
        </p>
      </ConfirmDialog>
    </section>
  );
}

export function AccountPage() {
  const { user } = useAuth();
  if (!user) return <Spinner />;
  return (
    <div className="page">
      <PageHeader title="Account" subtitle="Your profile, two-factor authentication and API tokens." />
      <section className="panel" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <dl className="props props-inline">
          <dt>Username</dt>
          <dd>{user.username}</dd>
          <dt>Organisation</dt>
          <dd>{user.organisation_name ?? user.organisation_id}</dd>
          <dt>Role</dt>
          <dd>{user.role}</dd>
          <dt>Last log-in</dt>
          <dd>{formatTime(user.last_login_at)}</dd>
        </dl>
      </section>
      <MfaSection />
      <TokensSection />
    </div>
  );
}
