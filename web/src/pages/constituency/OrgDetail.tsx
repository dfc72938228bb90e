// The detail panel of one organisation: profile, contacts, networks; New child, Edit, Delete.

import { useEffect, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { organisations } from '../../api/endpoints';
import type { Organisation, TreeItem } from '../../api/types';
import { ConfirmDialog, ErrorBanner, KindBadge, Spinner } from '../../components/common';
import { Icon } from '../../components/Icon';
import { formatTime } from '../../lib/format';
import { useAuth } from '../../auth/AuthContext';

function ValueList({ values, testId, empty }: { values: (string | number)[]; testId: string; empty: string }) {
  if (values.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="value-list" data-testid={testId}>
      {values.map((v) => (
        <li key={String(v)}>
          <code>{v}</code>
        </li>
      ))}
    </ul>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children || <span className="muted">—</span>}</dd>
    </>
  );
}

export function OrgDetail({ items, onChanged }: { items: TreeItem[]; onChanged(): Promise<void> }) {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { hasRole } = useAuth();
  const [org, setOrg] = useState<Organisation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    setOrg(null);
    setError(null);
    organisations
      .get(id)
      .then(({ org }) => live && setOrg(org))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [id]);

  if (error) return <ErrorBanner error={error} title="Could not load the organisation." />;
  if (!org) return <Spinner />;

  const canWrite = hasRole('admin', 'analyst'); // as access::CanEditOrganisations; the server has the last word
  const parentName = org.parent_id ? (items.find((i) => i.id === org.parent_id)?.name ?? null) : null;
  const path = org.path_names ?? [];
  const childCount = org.children_count ?? items.filter((i) => i.parent_id === org.id).length;
  const nets = org.networks ?? { prefixes: [], asns: [], domains: [] };
  const contacts = org.contacts ?? { security_email: '', abuse_email: '', phone: '', pgp_key: '' };

  async function doDelete() {
    setDeleting(true);
    setDeleteError(null);
    try {
      await organisations.remove(org!.id);
      setConfirming(false);
      await onChanged();
      navigate(org!.parent_id ? `/constituency/${org!.parent_id}` : '/constituency', { replace: true });
    } catch (e) {
      setDeleteError(e);
    } finally {
      setDeleting(false);
    }
  }

  return (
    <article className="panel org-detail" data-testid="org-detail" aria-labelledby="org-title">
      {path.length > 1 && (
        <nav className="breadcrumb" aria-label="Position in the constituency">
          {path.slice(0, -1).join(' › ')}
        </nav>
      )}
      <header className="detail-header">
        <div>
          <h1 id="org-title">{org.name}</h1>
          <div className="detail-badges">
            <KindBadge kind={org.kind} />
            {org.cii && <span className="badge badge-cii">CII</span>}
            {org.country && <span className="badge badge-plain">{org.country}</span>}
          </div>
        </div>
        {canWrite && (
          <div className="page-actions">
            <Link className="btn" to={`/constituency/new?parent=${org.id}`}>
              <Icon name="plus" size={16} />
              New child organisation
            </Link>
            <Link className="btn btn-primary" to={`/constituency/${org.id}/edit`}>
              <Icon name="edit" size={16} />
              Edit
            </Link>
            <button
              type="button"
              className="btn btn-danger-outline"
              onClick={() => {
                setDeleteError(null);
                setConfirming(true);
              }}
            >
              <Icon name="trash" size={16} />
              Delete
            </button>
          </div>
        )}
      </header>

      <div className="detail-grid">
        <section>
          <h2>Profile</h2>
          <dl className="props">
            <Row label="Parent">
              {org.parent_id ? <Link to={`/constituency/${org.parent_id}`}>{parentName ?? 'Parent'}</Link> : 'None (root)'}
            </Row>
            <Row label="Sector">{org.sector}</Row>
            <Row label="Country">{org.country}</Row>
            <Row label="Critical infrastructure">{org.cii ? 'Yes' : 'No'}</Row>
            <Row label="Children">{String(childCount)}</Row>
            <Row label="Created">{formatTime(org.created_at)}</Row>
            <Row label="Updated">{formatTime(org.updated_at)}</Row>
            <Row label="Version">{String(org.version)}</Row>
          </dl>
        </section>
        <section>
          <h2>Contacts</h2>
          <dl className="props">
            <Row label="Security e-mail">
              {contacts.security_email && <a href={`mailto:${contacts.security_email}`}>{contacts.security_email}</a>}
            </Row>
            <Row label="Abuse e-mail">
              {contacts.abuse_email && <a href={`mailto:${contacts.abuse_email}`}>{contacts.abuse_email}</a>}
            </Row>
            <Row label="Phone">{contacts.phone}</Row>
            <Row label="PGP key">
              {contacts.pgp_key && (
                <details>
                  <summary>Show key</summary>
                  <pre className="pgp">{contacts.pgp_key}</pre>
                </details>
              )}
            </Row>
          </dl>
        </section>
      </div>

      <section>
        <h2>Networks</h2>
        <div className="networks">
          <div>
            <h3>IP prefixes</h3>
            <ValueList values={nets.prefixes ?? []} testId="org-prefixes" empty="No prefixes." />
          </div>
          <div>
            <h3>AS numbers</h3>
            <ValueList values={(nets.asns ?? []).map((a) => `AS${a}`)} testId="org-asns" empty="No AS numbers." />
          </div>
          <div>
            <h3>Domains</h3>
            <ValueList values={nets.domains ?? []} testId="org-domains" empty="No domains." />
          </div>
        </div>
      </section>

      <ConfirmDialog
        open={confirming}
        title={`Delete ${org.name}?`}
        confirmLabel="Delete organisation"
        danger
        busy={deleting}
        error={deleteError}
        onConfirm={doDelete}
        onCancel={() => setConfirming(false)}
      >
        <p>
          This removes the organisation, its contacts and its network resources. An organisation that still has
          children cannot be deleted.
        </p>
      </ConfirmDialog>
    </article>
  );
}

