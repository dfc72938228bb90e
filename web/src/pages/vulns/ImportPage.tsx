// Import of vulnerability data (National CERT admins and analysts): a CVE 5, NVD 2.0 or KEV JSON
// file, or an EPSS CSV, goes as the body of POST /vulnerabilities/import; the report shows.

import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { vulns, type VulnImportKind } from '../../api/endpoints';
import type { VulnImportReport } from '../../api/types';
import { ErrorBanner, Notice, PageHeader } from '../../components/common';
import { vulnImportGuess } from '../../lib/vulns';
import { ProblemTable } from './parts';

const KINDS: { value: VulnImportKind; label: string }[] = [
  { value: 'auto', label: 'Detect from the content' },
  { value: 'cve5', label: 'CVE 5 record (JSON)' },
  { value: 'nvd', label: 'NVD 2.0 API answer (JSON)' },
  { value: 'kev', label: 'CISA KEV catalogue (JSON)' },
  { value: 'epss', label: 'EPSS scores (CSV)' },
];

/** CVE ids named in a file's problems or, for a single record, in its name. */
function cveFromName(name: string): string | null {
  const m = /CVE-\d{4}-\d{4,}/i.exec(name);
  return m ? m[0].toUpperCase() : null;
}

export function ImportPage() {
  const [file, setFile] = useState<File | null>(null);
  const [kind, setKind] = useState<VulnImportKind>('auto');
  const [report, setReport] = useState<VulnImportReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [imported, setImported] = useState<string | null>(null);

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
      const guess = vulnImportGuess(file.name);
      const contentType = kind === 'epss' ? 'text/csv' : kind === 'auto' ? guess.contentType : 'application/json';
      setReport(await vulns.import(file, kind, contentType));
      setImported(file.name);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const problems = report?.problems ?? [];
  const single = imported ? cveFromName(imported) : null;

  return (
    <>
      <PageHeader
        title="Import vulnerability data"
        subtitle="CVE 5 records, NVD 2.0 answers, the CISA KEV catalogue or EPSS scores. Assets are matched again after the import."
      />
      <form className="panel" onSubmit={submit} data-testid="vuln-import-form">
        <div className="inline-form">
          <div className="field field-file">
            <label htmlFor="vuln-import-file">File</label>
            <input
              id="vuln-import-file"
              type="file"
              accept=".json,.csv,.gz,application/json,text/csv"
              onChange={(e) => {
                const f = e.target.files?.[0] ?? null;
                setFile(f);
                if (f && kind === 'auto' && vulnImportGuess(f.name).kind === 'epss') setKind('epss');
              }}
            />
          </div>
          <div className="field">
            <label htmlFor="vuln-import-kind">Kind</label>
            <select id="vuln-import-kind" value={kind} onChange={(e) => setKind(e.target.value as VulnImportKind)}>
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
      <ErrorBanner error={error} title="Import failed." />
      {report && (
        <section className="panel" data-testid="vuln-import-report" aria-labelledby="import-report-title">
          <h2 id="import-report-title">Report{imported ? `: ${imported}` : ''}</h2>
          <Notice tone={report.rejected ? 'warning' : 'success'}>
            {report.records} record{report.records === 1 ? '' : 's'} read: {report.inserted} new, {report.updated} updated, {report.unchanged}{' '}
            unchanged, {report.rejected} rejected.
          </Notice>
          <dl className="props props-inline">
            <dt>Files</dt>
            <dd>{report.files}</dd>
            <dt>Records</dt>
            <dd data-testid="import-records">{report.records}</dd>
            <dt>Inserted</dt>
            <dd data-testid="import-inserted">{report.inserted}</dd>
            <dt>Updated</dt>
            <dd>{report.updated}</dd>
            <dt>Unchanged</dt>
            <dd>{report.unchanged}</dd>
            {report.older !== undefined && (
              <>
                <dt>Older versions</dt>
                <dd>{report.older}</dd>
              </>
            )}
            <dt>Rejected</dt>
            <dd data-testid="import-rejected">{report.rejected}</dd>
            {report.new_findings !== undefined && (
              <>
                <dt>New findings</dt>
                <dd data-testid="import-new-findings">
                  {report.new_findings}
                  {report.matched_cves !== undefined && <span className="muted"> ({report.matched_cves} CVEs matched against the assets)</span>}
                </dd>
              </>
            )}
            <dt>Time</dt>
            <dd>{Number(report.seconds ?? 0).toFixed(2)} s</dd>
          </dl>
          {single && report.rejected === 0 && (
            <p>
              <Link to={`/vulnerabilities/cve/${single}`}>Open {single}</Link>
            </p>
          )}
        </section>
      )}
      <ProblemTable testId="vuln-import-problems" columns={['Record', 'Problem']} rows={problems.map((p) => [p.record, p.reason])} />
    </>
  );
}
