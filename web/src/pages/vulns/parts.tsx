// Small pieces shared by the Vulnerabilities pages: severity, KEV and TLP badges, the organisation
// picker, a report table of import problems.

import { useMemo } from 'react';
import type { TreeItem } from '../../api/types';
import { buildTree, flatten } from '../../lib/tree';
import { formatScore, normaliseSeverity, severityLabel, tlpClass, type SeverityOrUnknown } from '../../lib/vulns';

export function SeverityBadge({ severity, score }: { severity?: string | null; score?: number | null }) {
  const s: SeverityOrUnknown = normaliseSeverity(severity, score);
  return (
    <span className={`badge sev-${s}`} data-testid="severity-badge">
      {severityLabel(s)}
    </span>
  );
}

/** "9.8 Critical": the score and its badge. */
export function ScoreCell({ score, severity }: { score: number | null | undefined; severity?: string | null }) {
  if (score === null || score === undefined) return <span className="muted">—</span>;
  return (
    <span className="score-cell">
      <span className="score">{formatScore(score)}</span>
      <SeverityBadge severity={severity} score={score} />
    </span>
  );
}

export function KevBadge() {
  return (
    <span className="badge badge-kev" title="In CISA's Known Exploited Vulnerabilities catalogue" data-testid="kev-badge">
      KEV
    </span>
  );
}

export function TlpBadge({ tlp }: { tlp: string }) {
  return <span className={`badge tlp ${tlpClass(tlp)}`}>{tlp}</span>;
}

/** <option>s of the constituency, indented by depth. */
export function OrgOptions({ items }: { items: readonly TreeItem[] }) {
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

/** A labelled organisation <select> over the tree. */
export function OrgSelect({
  id,
  label,
  items,
  value,
  onChange,
  anyLabel,
}: {
  id: string;
  label: string;
  items: readonly TreeItem[];
  value: string;
  onChange(id: string): void;
  anyLabel?: string;
}) {
  return (
    <div className="field field-wide">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {value && !items.some((i) => i.id === value) && <option value={value}>{value}</option>}
        <OrgOptions items={items} />
      </select>
    </div>
  );
}

/** Problems of an import, one row each. */
export function ProblemTable({
  columns,
  rows,
  testId,
}: {
  columns: readonly string[];
  rows: readonly (readonly (string | number | undefined)[])[];
  testId: string;
}) {
  if (rows.length === 0) return null;
  return (
    <div className="table-wrap panel">
      <table className="table" data-testid={testId}>
        <caption className="visually-hidden">Problems</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((cell, j) => (
                <td key={j} className={j === r.length - 1 ? undefined : 'nowrap mono small'}>
                  {cell === undefined || cell === '' ? '—' : String(cell)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
