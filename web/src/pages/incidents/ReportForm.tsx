// The report forms: NewIncident for signed-in users (POST /incidents) and PublicReportPage at
// /report for anyone (POST /report, no account; lands in the National CERT's triage queue).

import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { isApiError } from '../../api/client';
import { incidents, type Severity, type Taxonomy } from '../../api/incidents';
import type { TreeItem } from '../../api/types';
import { ErrorBanner, Notice, PageHeader } from '../../components/common';
import { SEVERITIES } from '../../lib/incidents';
import { OrgOptions } from '../vulns/parts';

interface Draft {
  title: string;
  description: string;
  cls: string;
  type: string;
  severity: Severity;
  tlp: string;
  organisation_id: string;
  occurred_at: string;
  name: string;
  email: string;
  phone: string;
  organisation_name: string;
}

const EMPTY: Draft = {
  title: '', description: '', cls: '', type: '', severity: 'medium', tlp: 'TLP:AMBER', organisation_id: '',
  occurred_at: '', name: '', email: '', phone: '', organisation_name: '',
};

function ClassificationFields({ taxonomy, draft, set }: { taxonomy: Taxonomy | null; draft: Draft; set(d: Partial<Draft>): void }) {
  const cls = taxonomy?.classes.find((c) => c.value === draft.cls);
  return (
    <>
      <div className="field">
        <label htmlFor="rep-class">What happened (RSIT class)</label>
        <select id="rep-class" value={draft.cls} onChange={(e) => set({ cls: e.target.value, type: '' })}>
          <option value="">Not sure</option>
          {taxonomy?.classes.map((c) => (
            <option key={c.value} value={c.value}>{c.name}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="rep-type">Type</label>
        <select id="rep-type" value={draft.type} disabled={!cls} onChange={(e) => set({ type: e.target.value })}>
          <option value="">—</option>
          {cls?.types.map((t) => (
            <option key={t.value} value={t.value} title={t.description}>{t.name}</option>
          ))}
        </select>
      </div>
    </>
  );
}

function classification(d: Draft) {
  return d.cls ? [{ class: d.cls, type: d.type }] : undefined;
}

export function NewIncident({ orgs }: { orgs: readonly TreeItem[] }) {
  const navigate = useNavigate();
  const [taxonomy, setTaxonomy] = useState<Taxonomy | null>(null);
  const [draft, setDraftState] = useState<Draft>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (d: Partial<Draft>) => setDraftState((x) => ({ ...x, ...d }));
  useEffect(() => {
    incidents.taxonomy().then(setTaxonomy).catch(setError);
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      const created = await incidents.create({
        title: draft.title,
        description: draft.description,
        classification: classification(draft),
        severity: draft.severity,
        tlp: draft.tlp,
        organisation_id: draft.organisation_id || undefined,
        occurred_at: draft.occurred_at ? new Date(draft.occurred_at).toISOString() : undefined,
      });
      navigate(`/incidents/${encodeURIComponent(created.id)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeader title="Report an incident" subtitle="It goes to the triage queue of the CERT responsible for the organisation." />
      <form className="panel form-grid" onSubmit={submit} data-testid="new-incident-form">
        <div className="field span-2">
          <label htmlFor="rep-title">Title</label>
          <input id="rep-title" required value={draft.title} onChange={(e) => set({ title: e.target.value })} />
        </div>
        <div className="field span-2">
          <label htmlFor="rep-description">Description</label>
          <textarea id="rep-description" rows={5} value={draft.description} onChange={(e) => set({ description: e.target.value })} />
        </div>
        <ClassificationFields taxonomy={taxonomy} draft={draft} set={set} />
        <div className="field">
          <label htmlFor="rep-severity">Severity</label>
          <select id="rep-severity" value={draft.severity} onChange={(e) => set({ severity: e.target.value as Severity })}>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="rep-tlp">TLP</label>
          <select id="rep-tlp" value={draft.tlp} onChange={(e) => set({ tlp: e.target.value })}>
            {['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'].map((t) => (
              <option key={t} value={t}>{t}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="rep-org">Affected organisation</label>
          <select id="rep-org" value={draft.organisation_id} onChange={(e) => set({ organisation_id: e.target.value })}>
            <option value="">My organisation</option>
            <OrgOptions items={orgs} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="rep-occurred">Occurred at</label>
          <input id="rep-occurred" type="datetime-local" value={draft.occurred_at} onChange={(e) => set({ occurred_at: e.target.value })} />
        </div>
        <ErrorBanner error={error} title="The report was not accepted." />
        <div className="form-actions span-2">
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Sending…' : 'Report'}</button>
        </div>
      </form>
    </>
  );
}

export function PublicReportPage() {
  const [taxonomy, setTaxonomy] = useState<Taxonomy | null>(null);
  const [draft, setDraftState] = useState<Draft>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<{ reference: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (d: Partial<Draft>) => setDraftState((x) => ({ ...x, ...d }));
  useEffect(() => {
    incidents.publicTaxonomy().then(setTaxonomy).catch(setError);
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setDone(
        await incidents.publicReport({
          title: draft.title,
          description: draft.description,
          classification: classification(draft),
          organisation_name: draft.organisation_name || undefined,
          occurred_at: draft.occurred_at ? new Date(draft.occurred_at).toISOString() : undefined,
          reporter: { name: draft.name, email: draft.email, phone: draft.phone },
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="public-report">
      <div className="page" style={{ maxWidth: 820, margin: '2rem auto' }}>
        <PageHeader title="Report a cyber security incident" subtitle="To the National CERT. No account is needed; we will contact you at the address you give." />
        {done ? (
          <Notice tone="success">
            <span data-testid="public-report-done">
              <strong>{done.reference}</strong> — {done.message}
            </span>
          </Notice>
        ) : (
          <form className="panel form-grid" onSubmit={submit} data-testid="public-report-form">
            <div className="field span-2">
              <label htmlFor="rep-title">Short title</label>
              <input id="rep-title" required maxLength={500} value={draft.title} onChange={(e) => set({ title: e.target.value })} />
            </div>
            <div className="field span-2">
              <label htmlFor="rep-description">What happened</label>
              <textarea id="rep-description" rows={6} value={draft.description} onChange={(e) => set({ description: e.target.value })} />
            </div>
            <ClassificationFields taxonomy={taxonomy} draft={draft} set={set} />
            <div className="field">
              <label htmlFor="rep-orgname">Your organisation (if any)</label>
              <input id="rep-orgname" value={draft.organisation_name} onChange={(e) => set({ organisation_name: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="rep-occurred">When did it happen</label>
              <input id="rep-occurred" type="datetime-local" value={draft.occurred_at} onChange={(e) => set({ occurred_at: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="rep-name">Your name</label>
              <input id="rep-name" value={draft.name} onChange={(e) => set({ name: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="rep-email">Your e-mail</label>
              <input id="rep-email" type="email" required value={draft.email} onChange={(e) => set({ email: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="rep-phone">Phone (optional)</label>
              <input id="rep-phone" value={draft.phone} onChange={(e) => set({ phone: e.target.value })} />
            </div>
            <ErrorBanner
              error={error}
              title={isApiError(error) && error.status === 429 ? 'Too many reports from your address.' : 'The report was not sent.'}
            />
            <div className="form-actions span-2">
              <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? 'Sending…' : 'Send report'}</button>
              <Link to="/login" className="btn btn-link">Staff log-in</Link>
            </div>
          </form>
        )}
      </div>
    </main>
  );
}
