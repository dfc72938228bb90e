// Users (admin): filtered list, create, change role, disable/enable, delete.

import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { isApiError } from '../api/client';
import { organisations, users as usersApi, type UserFilter } from '../api/endpoints';
import { ROLES, type Role, type TreeItem, type User } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import {
  ConfirmDialog,
  EmptyState,
  ErrorBanner,
  Field,
  Notice,
  PageHeader,
  Pager,
  Spinner,
  describedBy,
  errorMessage,
} from '../components/common';
import { Icon } from '../components/Icon';
import { formatTime } from '../lib/format';
import { buildTree, flatten } from '../lib/tree';
import { usePageEdits } from '../lib/usePageEdits';
import { usePages } from '../lib/usePages';

function OrgOptions({ items }: { items: TreeItem[] }) {
  const rows = useMemo(() => flatten(buildTree(items)), [items]);
  return (
    <>
      {rows.map(({ item, depth }) => (
        <option key={item.id} value={item.id}>
          {'\u00a0\u00a0'.repeat(depth)}
          {item.name}
        </option>
      ))}
    </>
  );
}

function CreateUserForm({ orgs, onCreated, onCancel }: { orgs: TreeItem[]; onCreated(u: User): void; onCancel(): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [organisationId, setOrganisationId] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!username.trim()) errs.username = 'Enter a username.';
    if (!password) errs.password = 'Enter an initial password.';
    if (!organisationId) errs.organisation_id = 'Choose the organisation.';
    setErrors(errs);
    setError(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const u = await usersApi.create({ username: username.trim(), password, organisation_id: organisationId, role });
      onCreated(u);
    } catch (err) {
      if (isApiError(err) && err.field && ['username', 'password', 'organisation_id', 'role'].includes(err.field)) {
        setErrors({ [err.field]: err.message });
      } else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel create-form" onSubmit={submit} noValidate aria-labelledby="create-user-title" data-testid="create-user-form">
      <h2 id="create-user-title">New user</h2>
      <ErrorBanner error={error} title="Not created." />
      <div className="form-grid form-grid-4">
        <Field id="new-user-username" label="Username" error={errors.username}>
          <input
            id="new-user-username"
            autoComplete="off"
            value={username}
            aria-invalid={!!errors.username}
            aria-describedby={describedBy('new-user-username', errors.username)}
            onChange={(e) => setUsername(e.target.value)}
          />
        </Field>
        <Field id="new-user-password" label="Initial password" error={errors.password}>
          <input
            id="new-user-password"
            type="password"
            autoComplete="new-password"
            value={password}
            aria-invalid={!!errors.password}
            aria-describedby={describedBy('new-user-password', errors.password)}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Field id="new-user-org" label="Organisation" error={errors.organisation_id}>
          <select
            id="new-user-org"
            value={organisationId}
            aria-invalid={!!errors.organisation_id}
            aria-describedby={describedBy('new-user-org', errors.organisation_id)}
            onChange={(e) => setOrganisationId(e.target.value)}
          >
            <option value="">Choose…</option>
            <OrgOptions items={orgs} />
          </select>
        </Field>
        <Field id="new-user-role" label="Role" error={errors.role}>
          <select id="new-user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="form-actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}

export function UsersPage() {
  const { user: me } = useAuth();
  const [orgs, setOrgs] = useState<TreeItem[]>([]);
  const [filter, setFilter] = useState<UserFilter>({ q: '', role: '', organisation_id: '' });
  const [applied, setApplied] = useState<UserFilter>(filter);
  const [error, setError] = useState<unknown>(null);
  const pages = usePages<User>(useCallback((cursor: string | null) => usersApi.list(applied, cursor), [applied]));
  const edits = usePageEdits(pages);
  const rows = edits.rows;
  const apply = (f: UserFilter) => {
    pages.reset();
    setApplied({ ...f });
  };
  const [actionError, setActionError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<User | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);

  useEffect(() => {
    organisations.tree().then(setOrgs).catch(setError);
  }, []);

  const replace = edits.saved;

  async function patch(u: User, change: Partial<{ role: Role; disabled: boolean }>, what: string) {
    setBusyId(u.id);
    setActionError(null);
    setFlash(null);
    try {
      replace(await usersApi.update(u.id, change));
      setFlash(`${u.username}: ${what}.`);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusyId(null);
    }
  }

  async function doDelete() {
    if (!toDelete) return;
    setBusyId(toDelete.id);
    setDeleteError(null);
    try {
      await usersApi.remove(toDelete.id);
      edits.deleted(toDelete.id);
      setFlash(`${toDelete.username} deleted.`);
      setToDelete(null);
    } catch (e) {
      setDeleteError(e);
    } finally {
      setBusyId(null);
    }
  }

  const orgName = (u: User) => u.organisation_name ?? orgs.find((o) => o.id === u.organisation_id)?.name ?? u.organisation_id;

  return (
    <div className="page">
      <PageHeader
        title="Users"
        subtitle="Accounts, their organisation and role."
        actions={
          !creating && (
            <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
              <Icon name="plus" size={16} />
              New user
            </button>
          )
        }
      />
      {creating && (
        <CreateUserForm
          orgs={orgs}
          onCancel={() => setCreating(false)}
          onCreated={(u) => {
            setCreating(false);
            setFlash(`User ${u.username} created.`);
            edits.created(u);
          }}
        />
      )}
      {flash && <Notice tone="success">{flash}</Notice>}
      <ErrorBanner error={actionError} onDismiss={() => setActionError(null)} />

      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          apply(filter);
        }}
      >
        <div className="field">
          <label htmlFor="users-q">Search users</label>
          <input id="users-q" type="search" placeholder="Username" value={filter.q} onChange={(e) => setFilter({ ...filter, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="users-role">Filter by role</label>
          <select id="users-role" value={filter.role} onChange={(e) => {
              const f = { ...filter, role: e.target.value as Role | '' };
              setFilter(f);
              apply(f);
            }}
          >
            <option value="">Any role</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="users-org">Filter by organisation</label>
          <select
            id="users-org"
            value={filter.organisation_id}
            onChange={(e) => {
              const f = { ...filter, organisation_id: e.target.value };
              setFilter(f);
              apply(f);
            }}
          >
            <option value="">Any organisation</option>
            <OrgOptions items={orgs} />
          </select>
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">
            Apply
          </button>
        </div>
      </form>

      <ErrorBanner error={error ?? pages.error} title="Could not load users." />
      {rows === null ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <EmptyState title="No users match these filters." />
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="users-table">
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Organisation</th>
                <th scope="col">Role</th>
                <th scope="col">MFA</th>
                <th scope="col">Status</th>
                <th scope="col">Last log-in</th>
                <th scope="col" className="actions-col">
                  Actions
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((u) => {
                const self = u.id === me?.id;
                const busy = busyId === u.id;
                return (
                  <tr key={u.id} className={u.disabled ? 'row-muted' : undefined} data-testid="user-row">
                    <th scope="row">
                      {u.username}
                      {self && <span className="badge badge-plain">you</span>}
                    </th>
                    <td>{orgName(u)}</td>
                    <td>
                      <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                        Role of {u.username}
                      </label>
                      <select
                        id={`role-${u.id}`}
                        className="select-compact"
                        value={u.role}
                        disabled={busy || self}
                        onChange={(e) => patch(u, { role: e.target.value as Role }, `role changed to ${e.target.value}`)}
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>{u.mfa_enabled ? <span className="badge badge-ok">on</span> : <span className="badge badge-plain">off</span>}</td>
                    <td>{u.disabled ? <span className="badge badge-warn">disabled</span> : <span className="badge badge-ok">active</span>}</td>
                    <td className="nowrap">{formatTime(u.last_login_at)}</td>
                    <td className="actions-col">
                      <button
                        type="button"
                        className="btn btn-small"
                        disabled={busy || self}
                        onClick={() => patch(u, { disabled: !u.disabled }, u.disabled ? 'enabled' : 'disabled')}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger-outline"
                        disabled={busy || self}
                        onClick={() => {
                          setDeleteError(null);
                          setToDelete(u);
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pager pages={edits.pager} noun="user" testId="users-total" />
        </div>
      )}

      <ConfirmDialog
        open={toDelete !== null}
        title={`Delete user ${toDelete?.username ?? ''}?`}
        confirmLabel="Delete user"
        danger
        busy={busyId !== null}
        error={deleteError ? errorMessage(deleteError) : null}
        onConfirm={doDelete}
        onCancel={() => setToDelete(null)}
      >
        <p>The account and its API tokens stop working at once. Its entries in the audit log remain.</p>
      </ConfirmDialog>
    </div>
  );
}
