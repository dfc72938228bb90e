// Assets of one organisation (chosen from the tree): the inventory, a create/edit form, delete,
// and import from CSV or a CycloneDX JSON SBOM with the problems per line.

import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { isApiError } from '../../api/client';
import { assets as assetsApi } from '../../api/endpoints';
import { CRITICALITIES, type Asset, type AssetImportReport, type TreeItem } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { ConfirmDialog, EmptyState, ErrorBanner, Field, Notice, PageHeader, Pager, Spinner, describedBy } from '../../components/common';
import { Icon } from '../../components/Icon';
import { formatTime } from '../../lib/format';
import { usePageEdits } from '../../lib/usePageEdits';
import { usePages } from '../../lib/usePages';
import {
  assetFormFrom,
  assetIdentification,
  assetImportFormat,
  assetInputFromForm,
  assetVersion,
  emptyAssetForm,
  type AssetForm,
} from '../../lib/vulns';
import { OrgSelect, ProblemTable } from './parts';

const FORM_FIELDS = ['name', 'cpe', 'purl', 'vendor', 'product', 'version', 'location', 'criticality'];

function AssetEditor({
  organisationId,
  asset,
  onSaved,
  onCancel,
}: {
  organisationId: string;
  asset: Asset | null;
  onSaved(a: Asset, created: boolean): void;
  onCancel(): void;
}) {
  const [form, setForm] = useState<AssetForm>(asset ? assetFormFrom(asset) : emptyAssetForm());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof AssetForm) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    const { input, errors: errs } = assetInputFromForm(form);
    setErrors(errs);
    setError(null);
    if (!input) return;
    setBusy(true);
    try {
      if (asset) {
        onSaved(await assetsApi.update(asset.id, input, assetVersion(asset)), false);
      } else {
        onSaved(await assetsApi.create({ ...input, organisation_id: organisationId }), true);
      }
    } catch (err) {
      if (isApiError(err) && err.field && FORM_FIELDS.includes(err.field)) setErrors({ [err.field]: err.message });
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  const input = (id: keyof AssetForm, label: string, placeholder = '', help?: string) => (
    <Field id={`asset-${id}`} label={label} error={errors[id]} help={help}>
      <input
        id={`asset-${id}`}
        value={form[id]}
        placeholder={placeholder}
        autoComplete="off"
        aria-invalid={!!errors[id]}
        aria-describedby={describedBy(`asset-${id}`, errors[id], !!help)}
        onChange={set(id)}
      />
    </Field>
  );

  return (
    <form className="panel create-form" onSubmit={submit} noValidate aria-labelledby="asset-form-title" data-testid="asset-form">
      <h2 id="asset-form-title">{asset ? `Edit ${asset.name}` : 'New asset'}</h2>
      <ErrorBanner error={error} title={asset ? 'Not saved.' : 'Not created.'} />
      <div className="form-grid form-grid-4">
        {input('name', 'Name', 'Mail gateway')}
        {input('location', 'Location', 'DC-1, 10.0.4.7')}
        <Field id="asset-criticality" label="Criticality" error={errors.criticality}>
          <select id="asset-criticality" value={form.criticality} onChange={set('criticality')}>
            {CRITICALITIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <div />
        {input('vendor', 'Vendor', 'Palo Alto Networks')}
        {input('product', 'Product', 'PAN-OS')}
        {input('version', 'Version', '10.2.8')}
        <div />
        <div className="span-2">{input('cpe', 'CPE', 'cpe:2.3:o:paloaltonetworks:pan-os:10.2.8:*:*:*:*:*:*:*', 'A CPE 2.3 name, a purl, or vendor, product and version (any of them).')}</div>
        <div className="span-2">{input('purl', 'Package URL (purl)', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')}</div>
      </div>
      <div className="form-actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : asset ? 'Save asset' : 'Create asset'}
        </button>
      </div>
    </form>
  );
}

function AssetImport({ organisationId, onImported }: { organisationId: string; onImported(): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState<'csv' | 'cyclonedx'>('csv');
  const [skipBad, setSkipBad] = useState(false);
  const [report, setReport] = useState<AssetImportReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) {
      setError('Choose a file.');
      return;
    }
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      const r = await assetsApi.import(organisationId, file, format, skipBad);
      setReport(r);
      if (r.committed) onImported();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const problems = report?.problems ?? [];
  return (
    <details className="panel import-panel">
      <summary>Import from CSV or CycloneDX JSON</summary>
      <form className="inline-form" onSubmit={submit} data-testid="asset-import-form">
        <div className="field field-file">
          <label htmlFor="asset-import-file">File</label>
          <input
            id="asset-import-file"
            type="file"
            accept=".csv,.json,text/csv,application/json"
            onChange={(e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              if (f) setFormat(assetImportFormat(f.name));
            }}
          />
        </div>
        <div className="field">
          <label htmlFor="asset-import-format">Format</label>
          <select id="asset-import-format" value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'cyclonedx')}>
            <option value="csv">CSV</option>
            <option value="cyclonedx">CycloneDX JSON</option>
          </select>
        </div>
        <div className="field field-check">
          <input id="asset-import-skip" type="checkbox" checked={skipBad} onChange={(e) => setSkipBad(e.target.checked)} />
          <label htmlFor="asset-import-skip">Skip bad lines</label>
        </div>
        <button type="submit" className="btn btn-primary" disabled={busy || !organisationId}>
          {busy ? 'Importing…' : 'Import'}
        </button>
      </form>
      <p className="help">
        CSV columns: name, cpe, purl, vendor, product, version, location, criticality (a header line names them). Without “Skip bad lines”
        nothing is imported when a line has a problem.
      </p>
      <ErrorBanner error={error} title="Import failed." />
      {report && (
        <div data-testid="asset-import-report">
          <Notice tone={report.committed ? (problems.length ? 'warning' : 'success') : 'warning'}>
            {report.committed ? 'Imported' : 'Nothing imported'}: {report.entries} entries, {report.created} created, {report.updated} updated,{' '}
            {report.unchanged} unchanged{report.skipped ? `, ${report.skipped} skipped` : ''}, {problems.length} problem
            {problems.length === 1 ? '' : 's'}.
          </Notice>
          <ProblemTable
            testId="asset-import-problems"
            columns={['Line', 'Field', 'Problem']}
            rows={problems.map((p) => [p.line, p.field, p.message])}
          />
        </div>
      )}
    </details>
  );
}

export function AssetsPage({ orgs }: { orgs: TreeItem[] }) {
  const { user, hasRole } = useAuth();
  const [params, setParams] = useSearchParams();
  const orgId = params.get('organisation') || user?.organisation_id || '';
  const [q, setQ] = useState('');
  const [appliedQ, setAppliedQ] = useState('');
  const [editing, setEditing] = useState<Asset | 'new' | null>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<Asset | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);

  // `version` changes after an import: the list is fetched again from its first page.
  const [version, setVersion] = useState(0);
  const pages = usePages<Asset>(
    useCallback(
      (cursor: string | null) => assetsApi.list({ organisation_id: orgId, q: appliedQ }, cursor),
      [orgId, appliedQ, version],
    ),
  );
  const { reset, pageIndex } = pages;
  // Another organisation or search starts again at the first page.
  const filterKey = `${orgId}\n${appliedQ}`;
  const lastKey = useRef(filterKey);
  useEffect(() => {
    if (lastKey.current === filterKey) return;
    lastKey.current = filterKey;
    if (pageIndex > 0) reset();
  }, [filterKey, pageIndex, reset]);
  const edits = usePageEdits(pages);
  const rows = edits.rows;
  const error = pages.error;
  const reload = useCallback(() => {
    reset();
    setVersion((v) => v + 1);
  }, [reset]);

  async function doDelete() {
    if (!toDelete) return;
    setDeleting(true);
    setDeleteError(null);
    try {
      await assetsApi.remove(toDelete.id);
      edits.deleted(toDelete.id);
      setFlash(`${toDelete.name} deleted.`);
      setToDelete(null);
    } catch (e) {
      setDeleteError(e);
    } finally {
      setDeleting(false);
    }
  }

  const canWrite = hasRole('admin', 'analyst');
  const orgName = orgs.find((o) => o.id === orgId)?.name ?? '';

  return (
    <>
      <PageHeader
        title="Assets"
        subtitle="The products an organisation runs; they are matched against every CVE record."
        actions={
          canWrite &&
          editing === null && (
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} disabled={!orgId}>
              <Icon name="plus" size={16} />
              New asset
            </button>
          )
        }
      />
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setAppliedQ(q.trim());
        }}
      >
        <OrgSelect
          id="assets-org"
          label="Organisation"
          items={orgs}
          value={orgId}
          onChange={(id) => {
            setEditing(null);
            setParams(id ? { organisation: id } : {});
          }}
        />
        <div className="field">
          <label htmlFor="assets-q">Search assets</label>
          <input id="assets-q" type="search" placeholder="Name, product, CPE…" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">
            Apply
          </button>
          <Link className="btn btn-ghost" to={`/vulnerabilities/exposure?organisation=${encodeURIComponent(orgId)}`}>
            Exposure
          </Link>
        </div>
      </form>

      {editing !== null && (
        <AssetEditor
          key={editing === 'new' ? 'new' : editing.id}
          organisationId={orgId}
          asset={editing === 'new' ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={(a, created) => {
            setEditing(null);
            setFlash(`${a.name} ${created ? 'created' : 'saved'}${orgName ? ` in ${orgName}` : ''}.`);
            if (created) edits.created(a);
            else edits.saved(a);
          }}
        />
      )}
      {flash && <Notice tone="success">{flash}</Notice>}
      {canWrite && orgId && <AssetImport organisationId={orgId} onImported={reload} />}

      <ErrorBanner error={error} title="Could not load the assets." />
      {rows === null ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <EmptyState title="No assets.">Add the products this organisation runs, or import a CSV file or an SBOM.</EmptyState>
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="assets-table">
            <caption className="visually-hidden">Assets</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Product</th>
                <th scope="col">Location</th>
                <th scope="col">Criticality</th>
                <th scope="col" className="num">
                  Findings
                </th>
                <th scope="col">Updated</th>
                {canWrite && (
                  <th scope="col" className="actions-col">
                    Actions
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id} data-testid="asset-row">
                  <th scope="row">{a.name}</th>
                  <td className="mono small cell-text">{assetIdentification(a)}</td>
                  <td>{a.location || <span className="muted">—</span>}</td>
                  <td>
                    <span className={`badge crit-${a.criticality}`}>{a.criticality}</span>
                  </td>
                  <td className="num">
                    {a.findings ? (
                      <Link to={`/vulnerabilities/exposure?organisation=${encodeURIComponent(a.organisation_id)}`}>{a.findings}</Link>
                    ) : (
                      <span className="muted">{a.findings ?? '—'}</span>
                    )}
                  </td>
                  <td className="nowrap">{formatTime(a.updated_at)}</td>
                  {canWrite && (
                    <td className="actions-col">
                      <button type="button" className="btn btn-small" onClick={() => setEditing(a)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger-outline"
                        onClick={() => {
                          setDeleteError(null);
                          setToDelete(a);
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={edits.pager} noun="asset" testId="assets-total" />
        </div>
      )}

      <ConfirmDialog
        open={toDelete !== null}
        title={`Delete ${toDelete?.name ?? ''}?`}
        confirmLabel="Delete asset"
        danger
        busy={deleting}
        error={deleteError}
        onConfirm={doDelete}
        onCancel={() => setToDelete(null)}
      >
        <p>The asset and its findings are removed from the inventory.</p>
      </ConfirmDialog>
    </>
  );
}
