// The advisory editor: title, summary, TLP, CVEs, products with affected/fixed versions, CVSS
// vectors with their live score, remediation, references, notes; Save, Publish, Delete (drafts).
// A published advisory shows links to its CSAF JSON, its HTML view and the provider's files.
//   /vulnerabilities/advisories/new?cve=CVE-…   a draft prefilled from the CVE record
//   /vulnerabilities/advisories/:id             an existing advisory

import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { isApiError } from '../../api/client';
import { CSAF_PROVIDER_METADATA, advisories, vulns } from '../../api/endpoints';
import { REMEDIATION_CATEGORIES, TLPS, type Advisory, type AdvisoryContent, type Tlp } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { ConfirmDialog, ErrorBanner, Field, Notice, PageHeader, Spinner, describedBy } from '../../components/common';
import { Icon } from '../../components/Icon';
import { formatTime } from '../../lib/format';
import {
  advisoryContent,
  advisoryContentFrom,
  advisoryFormFrom,
  advisoryFromCve,
  csafDocumentPath,
  csafTlpFolder,
  diffAdvisory,
  emptyAdvisory,
  formatScore,
  normaliseCveId,
  type AdvisoryForm,
} from '../../lib/vulns';
import { useCvss, VectorError } from './CvssPage';
import { SeverityBadge, TlpBadge } from './parts';

// Server errors on these fields show under their input; others (e.g. "products") in a banner.
const TOP_FIELDS = ['title', 'summary', 'tlp', 'severity', 'cves', 'notes'];
const ROW_FIELD =
  /^(products|scores|remediation|references)\[\d+\]\.(vendor|product|versions_affected|versions_fixed|cpe|purl|cve|vector|category|details|url|summary)(\[\d+\])?$/;

function LiveScore({ vector, index }: { vector: string; index: number }) {
  const { result, invalid, busy } = useCvss(vector);
  if (!vector.trim()) return null;
  if (invalid) return <VectorError vector={vector.trim()} message={invalid} />;
  if (!result) return busy ? <span className="muted small">Scoring…</span> : null;
  return (
    <span className="score-cell" data-testid={`score-live-${index}`}>
      <span className="score">{formatScore(result.score)}</span>
      <SeverityBadge severity={result.severity} score={result.score} />
      <span className="muted small">CVSS {result.version}</span>
    </span>
  );
}

function Rows<T>({
  legend,
  rows,
  empty,
  addLabel,
  onAdd,
  render,
}: {
  legend: string;
  rows: T[];
  empty: string;
  addLabel: string;
  onAdd(): void;
  render(row: T, i: number): ReactNode;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {rows.length === 0 && <p className="muted">{empty}</p>}
      {rows.map((r, i) => (
        <div key={i} className="row-editor">
          {render(r, i)}
        </div>
      ))}
      <button type="button" className="btn btn-small" onClick={onAdd}>
        <Icon name="plus" size={14} />
        {addLabel}
      </button>
    </fieldset>
  );
}

export function AdvisoryEditor() {
  const { id } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { hasRole } = useAuth();
  const cveParam = params.get('cve');

  const [saved, setSaved] = useState<Advisory | null>(null);
  const [base, setBase] = useState<AdvisoryContent | null>(null);
  const [form, setForm] = useState<AdvisoryForm | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [revisionSummary, setRevisionSummary] = useState('');
  const [publishError, setPublishError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);

  useEffect(() => {
    let live = true;
    setLoadError(null);
    setForm(null);
    setErrors({});
    setError(null);
    // Just created here (navigated from /new): the state is current already.
    if (id && saved && saved.id === id) {
      setForm(advisoryFormFrom(advisoryContent(saved)));
      return;
    }
    if (id) {
      advisories
        .get(id)
        .then((a) => {
          if (!live) return;
          setSaved(a);
          setBase(advisoryContent(a));
          setForm(advisoryFormFrom(advisoryContent(a)));
        })
        .catch((e) => live && setLoadError(e));
    } else {
      setSaved(null);
      setBase(null);
      const cve = cveParam ? normaliseCveId(cveParam) : null;
      if (cve) {
        vulns
          .get(cve)
          .then((v) => live && setForm(advisoryFormFrom(advisoryFromCve(v))))
          .catch(() => live && setForm(advisoryFormFrom({ ...emptyAdvisory('TLP:CLEAR'), cves: [cve] })));
      } else setForm(advisoryFormFrom(emptyAdvisory()));
    }
    return () => {
      live = false;
    };
  }, [id, cveParam]);

  if (loadError) return <ErrorBanner error={loadError} title="Could not load the advisory." />;
  if (!form) return <Spinner />;

  const canWrite = hasRole('admin', 'analyst');
  const f = form;
  const set = (patch: Partial<AdvisoryForm>) => setForm({ ...f, ...patch });
  const setRow = <K extends 'products' | 'scores' | 'remediation' | 'references'>(key: K, i: number, patch: Partial<AdvisoryForm[K][number]>) =>
    setForm({ ...f, [key]: f[key].map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const removeRow = (key: 'products' | 'scores' | 'remediation' | 'references', i: number) =>
    setForm({ ...f, [key]: (f[key] as unknown[]).filter((_, j) => j !== i) });
  const content = advisoryContentFrom(f);
  const dirty = !saved || !base || Object.keys(diffAdvisory(base, content)).length > 0;
  // "products[0].versions_affected[1]" shows under the products[0].versions_affected input.
  const err = (path: string) => errors[path] ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}[`))?.[1];

  function fail(e: unknown) {
    if (isApiError(e) && e.field) {
      setErrors({ [e.field]: e.message });
      // Fields shown next to an input need no banner; the others do.
      if (!TOP_FIELDS.includes(e.field) && !ROW_FIELD.test(e.field)) setError(e);
      else setError(null);
    } else setError(e);
  }

  /** Saves when needed; returns the advisory as saved (null on failure). */
  async function save(): Promise<Advisory | null> {
    setErrors({});
    setError(null);
    setFlash(null);
    if (!content.title) {
      setErrors({ title: 'Enter a title.' });
      return null;
    }
    setBusy(true);
    try {
      let a: Advisory;
      if (!saved) {
        a = await advisories.create(content);
        setSaved(a);
        setBase(advisoryContent(a));
        navigate(`/vulnerabilities/advisories/${encodeURIComponent(a.id)}`, { replace: true });
        setFlash('Draft created.');
        return a;
      }
      if (!dirty) return saved;
      a = await advisories.update(saved.id, diffAdvisory(base ?? emptyAdvisory(), content), saved.version);
      setSaved(a);
      setBase(advisoryContent(a));
      setForm(advisoryFormFrom(advisoryContent(a)));
      setFlash('Saved.');
      return a;
    } catch (e) {
      fail(e);
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    await save();
  }

  async function publish() {
    const a = await save();
    if (!a) {
      setPublishing(false);
      return;
    }
    setBusy(true);
    setPublishError(null);
    try {
      const p = await advisories.publish(a.id, a.version, revisionSummary.trim());
      setSaved(p);
      setBase(advisoryContent(p));
      setForm(advisoryFormFrom(advisoryContent(p)));
      setPublishing(false);
      setFlash(`Published as ${p.tracking_id}.`);
    } catch (e) {
      if (isApiError(e) && e.field) {
        setPublishing(false);
        fail(e);
      } else setPublishError(e);
    } finally {
      setBusy(false);
    }
  }

  async function doDelete() {
    if (!saved) return;
    setBusy(true);
    try {
      await advisories.remove(saved.id);
      navigate('/vulnerabilities/advisories', { replace: true });
    } catch (e) {
      setError(e);
      setDeleting(false);
    } finally {
      setBusy(false);
    }
  }

  const revisions = saved?.revisions ?? saved?.revision_history ?? [];
  const published = saved?.status === 'published';
  const docPath = published && saved?.tracking_id ? csafDocumentPath(saved.tlp, revisions[0]?.date as string | undefined, saved.tracking_id) : null;
  const isPublic = csafTlpFolder(saved?.tlp ?? f.tlp) === 'white';

  const text = (path: string, label: string, value: string, onChange: (v: string) => void, opts: { placeholder?: string; help?: string; mono?: boolean } = {}) => {
    const inputId = `adv-${path.replace(/[^a-z0-9]+/gi, '-')}`;
    return (
      <Field id={inputId} label={label} error={err(path)} help={opts.help}>
        <input
          id={inputId}
          className={opts.mono ? 'mono' : undefined}
          value={value}
          placeholder={opts.placeholder}
          aria-invalid={!!err(path)}
          aria-describedby={describedBy(inputId, err(path), !!opts.help)}
          onChange={(e) => onChange(e.target.value)}
        />
      </Field>
    );
  };

  return (
    <div className="page">
    <form className="page advisory-editor" onSubmit={submit} noValidate data-testid="advisory-editor">
      <PageHeader
        title={saved ? (saved.tracking_id ?? 'Draft advisory') : 'New advisory'}
        subtitle={
          saved ? (
            <>
              <span className={published ? 'badge badge-ok' : 'badge badge-plain'} data-testid="advisory-status">
                {saved.status}
              </span>{' '}
              <TlpBadge tlp={saved.tlp} /> {saved.severity && <SeverityBadge severity={saved.severity} />}{' '}
              {published && saved.pending_changes && <span className="badge badge-warn">unpublished changes</span>} · updated{' '}
              {formatTime(saved.updated_at)}
            </>
          ) : (
            'A draft is only visible inside your CERT until it is published.'
          )
        }
        actions={
          <>
            <Link className="btn btn-ghost" to="/vulnerabilities/advisories">
              All advisories
            </Link>
            {saved && (
              <a className="btn" href={advisories.htmlUrl(saved.id, !published || !!saved.pending_changes)} target="_blank" rel="noopener">
                {published && !saved.pending_changes ? 'HTML view' : 'Preview'}
              </a>
            )}
            {canWrite && saved && !published && (
              <button type="button" className="btn btn-danger-outline" onClick={() => setDeleting(true)}>
                <Icon name="trash" size={16} />
                Delete
              </button>
            )}
            {canWrite && (
              <button type="submit" className="btn" disabled={busy || (!!saved && !dirty)}>
                {busy ? 'Saving…' : saved ? 'Save' : 'Save draft'}
              </button>
            )}
            {canWrite && (
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy || (published && !saved?.pending_changes && !dirty)}
                onClick={() => {
                  setPublishError(null);
                  setRevisionSummary('');
                  setPublishing(true);
                }}
              >
                {published ? 'Publish update' : 'Publish'}
              </button>
            )}
          </>
        }
      />
      {flash && <Notice tone="success">{flash}</Notice>}
      <ErrorBanner error={error} title="Not saved." onDismiss={() => setError(null)} />

      {published && saved && (
        <section className="panel published-links" aria-label="Published files" data-testid="advisory-links">
          <h2>Published</h2>
          <ul className="link-list">
            <li>
              <a href={advisories.csafUrl(saved.id)} target="_blank" rel="noopener">
                CSAF JSON
              </a>{' '}
              <span className="muted">({saved.tracking_id})</span>
            </li>
            <li>
              <a href={advisories.htmlUrl(saved.id)} target="_blank" rel="noopener">
                HTML view
              </a>
            </li>
            {docPath && (
              <li>
                <a href={docPath} target="_blank" rel="noopener" data-testid="advisory-provider-document">
                  Provider document
                </a>{' '}
                <span className="muted mono small">{docPath}</span>
              </li>
            )}
            <li>
              <a href={CSAF_PROVIDER_METADATA} target="_blank" rel="noopener">
                Provider metadata
              </a>
            </li>
            <li>
              <a href={`/.well-known/csaf/${csafTlpFolder(saved.tlp)}/csaf-feed-tlp-${csafTlpFolder(saved.tlp)}.json`} target="_blank" rel="noopener" data-testid="advisory-feed">
                ROLIE feed (TLP:{csafTlpFolder(saved.tlp).toUpperCase()})
              </a>{' '}
              {!isPublic && <span className="muted small">needs a signed-in reader</span>}
            </li>
          </ul>
        </section>
      )}

      <div className="panel">
        <fieldset disabled={!canWrite}>
          <legend>Advisory</legend>
          <div className="form-grid">
            <div className="span-2">{text('title', 'Title', f.title, (v) => set({ title: v }), { placeholder: 'Remote code execution in …' })}</div>
            <Field id="adv-tlp" label="TLP" error={err('tlp')}>
              <select id="adv-tlp" value={f.tlp} onChange={(e) => set({ tlp: e.target.value as Tlp })}>
                {TLPS.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </Field>
            <Field id="adv-severity" label="Severity" error={err('severity')} help="Empty: from the highest CVSS score.">
              <select id="adv-severity" value={f.severity} onChange={(e) => set({ severity: e.target.value })} aria-describedby="adv-severity-help">
                <option value="">From the scores</option>
                <option value="critical">Critical</option>
                <option value="high">High</option>
                <option value="medium">Medium</option>
                <option value="low">Low</option>
              </select>
            </Field>
            <Field id="adv-summary" label="Summary" error={err('summary')} className="span-2">
              <textarea
                id="adv-summary"
                rows={5}
                value={f.summary}
                aria-invalid={!!err('summary')}
                aria-describedby={describedBy('adv-summary', err('summary'))}
                onChange={(e) => set({ summary: e.target.value })}
              />
            </Field>
            <div className="span-2">
              {text('cves', 'CVEs', f.cves, (v) => set({ cves: v }), { placeholder: 'CVE-2024-3400, CVE-2024-3401', help: 'Separated by commas.', mono: true })}
            </div>
          </div>
        </fieldset>

        <Rows
          legend="Products"
          rows={f.products}
          empty="No products yet: a published advisory names at least one affected product."
          addLabel="Add product"
          onAdd={() => set({ products: [...f.products, { vendor: '', product: '', affected: '', fixed: '', cpe: '', purl: '' }] })}
          render={(p, i) => (
            <>
              <div className="form-grid form-grid-4">
                {text(`products[${i}].vendor`, 'Vendor', p.vendor, (v) => setRow('products', i, { vendor: v }))}
                {text(`products[${i}].product`, 'Product', p.product, (v) => setRow('products', i, { product: v }))}
                {text(`products[${i}].versions_affected`, 'Affected versions', p.affected, (v) => setRow('products', i, { affected: v }), {
                  placeholder: '<1.4.2, 2.0.0 - 2.0.3',
                  mono: true,
                })}
                {text(`products[${i}].versions_fixed`, 'Fixed versions', p.fixed, (v) => setRow('products', i, { fixed: v }), { placeholder: '1.4.2', mono: true })}
                <div className="span-2">{text(`products[${i}].cpe`, 'CPE (optional)', p.cpe, (v) => setRow('products', i, { cpe: v }), { mono: true })}</div>
                <div className="span-2">{text(`products[${i}].purl`, 'purl (optional)', p.purl, (v) => setRow('products', i, { purl: v }), { mono: true })}</div>
              </div>
              <button type="button" className="btn btn-small btn-danger-outline row-remove" onClick={() => removeRow('products', i)}>
                Remove product
              </button>
            </>
          )}
        />

        <Rows
          legend="CVSS scores"
          rows={f.scores}
          empty="No scores."
          addLabel="Add CVSS vector"
          onAdd={() => set({ scores: [...f.scores, { cve: content.cves[0] ?? '', vector: '' }] })}
          render={(s, i) => (
            <>
              <div className="form-grid score-row">
                {text(`scores[${i}].cve`, 'CVE', s.cve, (v) => setRow('scores', i, { cve: v }), { mono: true })}
                {text(`scores[${i}].vector`, 'Vector', s.vector, (v) => setRow('scores', i, { vector: v }), {
                  placeholder: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
                  mono: true,
                })}
              </div>
              <div className="live-score">
                <LiveScore vector={s.vector} index={i} />
              </div>
              <button type="button" className="btn btn-small btn-danger-outline row-remove" onClick={() => removeRow('scores', i)}>
                Remove score
              </button>
            </>
          )}
        />

        <Rows
          legend="Remediation"
          rows={f.remediation}
          empty="No remediation."
          addLabel="Add remediation"
          onAdd={() => set({ remediation: [...f.remediation, { category: 'vendor_fix', details: '', url: '', products: [] }] })}
          render={(r, i) => (
            <>
              <div className="form-grid form-grid-3">
                <Field id={`adv-remediation-${i}-category`} label="Category" error={err(`remediation[${i}].category`)}>
                  <select
                    id={`adv-remediation-${i}-category`}
                    value={r.category}
                    onChange={(e) => setRow('remediation', i, { category: e.target.value as AdvisoryForm['remediation'][number]['category'] })}
                  >
                    {REMEDIATION_CATEGORIES.map((c) => (
                      <option key={c} value={c}>
                        {c.replace(/_/g, ' ')}
                      </option>
                    ))}
                  </select>
                </Field>
                {text(`remediation[${i}].details`, 'Details', r.details, (v) => setRow('remediation', i, { details: v }), {
                  placeholder: 'Update to 1.4.2 or later.',
                })}
                {text(`remediation[${i}].url`, 'URL (optional)', r.url, (v) => setRow('remediation', i, { url: v }))}
              </div>
              <button type="button" className="btn btn-small btn-danger-outline row-remove" onClick={() => removeRow('remediation', i)}>
                Remove remediation
              </button>
            </>
          )}
        />

        <Rows
          legend="References"
          rows={f.references}
          empty="No references."
          addLabel="Add reference"
          onAdd={() => set({ references: [...f.references, { url: '', summary: '', category: 'external' }] })}
          render={(r, i) => (
            <>
              <div className="form-grid form-grid-3">
                {text(`references[${i}].url`, 'URL', r.url, (v) => setRow('references', i, { url: v }))}
                {text(`references[${i}].summary`, 'Summary', r.summary, (v) => setRow('references', i, { summary: v }))}
                <Field id={`adv-references-${i}-category`} label="Category">
                  <select id={`adv-references-${i}-category`} value={r.category} onChange={(e) => setRow('references', i, { category: e.target.value })}>
                    <option value="external">external</option>
                    <option value="self">self</option>
                  </select>
                </Field>
              </div>
              <button type="button" className="btn btn-small btn-danger-outline row-remove" onClick={() => removeRow('references', i)}>
                Remove reference
              </button>
            </>
          )}
        />

        <fieldset disabled={!canWrite}>
          <legend>Notes</legend>
          <Field id="adv-notes" label="Notes (optional)" error={err('notes')}>
            <textarea id="adv-notes" rows={3} value={f.notes} onChange={(e) => set({ notes: e.target.value })} />
          </Field>
        </fieldset>
      </div>

      {revisions.length > 0 && (
        <section className="panel" aria-labelledby="revisions-title">
          <h2 id="revisions-title">Revision history</h2>
          <table className="table table-compact" data-testid="advisory-revisions">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Date</th>
                <th scope="col">Summary</th>
              </tr>
            </thead>
            <tbody>
              {revisions.map((r) => (
                <tr key={r.number}>
                  <td>{r.number}</td>
                  <td className="nowrap">{formatTime(r.date)}</td>
                  <td>{r.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </form>

      <ConfirmDialog
        open={publishing}
        title={published ? 'Publish an update?' : 'Publish this advisory?'}
        confirmLabel={published ? 'Publish update' : 'Publish'}
        busy={busy}
        error={publishError}
        onConfirm={publish}
        onCancel={() => setPublishing(false)}
      >
        <p>
          The advisory is signed and published as CSAF under {f.tlp}
          {csafTlpFolder(f.tlp) === 'white' ? ', readable by anyone in the provider feed' : ''}. Unsaved changes are saved first.
        </p>
        <Field id="adv-revision-summary" label="Revision summary (optional)">
          <input
            id="adv-revision-summary"
            value={revisionSummary}
            placeholder={published ? 'Fixed versions added' : 'Initial release'}
            onChange={(e) => setRevisionSummary(e.target.value)}
          />
        </Field>
      </ConfirmDialog>
      <ConfirmDialog
        open={deleting}
        title="Delete this draft?"
        confirmLabel="Delete draft"
        danger
        busy={busy}
        onConfirm={doDelete}
        onCancel={() => setDeleting(false)}
      >
        <p>The draft is removed. This cannot be undone.</p>
      </ConfirmDialog>
    </div>
  );
}
