// One incident: summary and deadlines, the lifecycle buttons, timeline and comments, tasks,
// observables (with "seen in other incidents"), attachments, and the escalate / delegate / share
// dialogs. Every change goes through the API, which has the last word on what is allowed.

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import {
  incidents,
  type Attachment,
  type Delivery,
  type Incident,
  type IncidentStatus,
  type Observable,
  type Task,
  type TimelineEntry,
} from '../../api/incidents';
import type { TreeItem } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { ConfirmDialog, EmptyState, ErrorBanner, PageHeader, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { DEADLINE_LABELS, STATUS_LABELS, deadlineState, needsReason, relativeTime, transitionLabel } from '../../lib/incidents';
import { OrgOptions, SeverityBadge, TlpBadge } from '../vulns/parts';

type Dialog =
  | { kind: 'transition'; to: IncidentStatus }
  | { kind: 'escalate' }
  | { kind: 'delegate' }
  | { kind: 'share' }
  | null;

const OBSERVABLE_TYPES = ['ip', 'cidr', 'domain', 'url', 'email', 'hash', 'asn', 'filename', 'text'];

export function IncidentDetail({ orgs }: { orgs: readonly TreeItem[] }) {
  const { id = '' } = useParams();
  const { user, hasRole } = useAuth();
  const [incident, setIncident] = useState<Incident | null>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [observables, setObservables] = useState<Observable[]>([]);
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [reason, setReason] = useState('');
  const [target, setTarget] = useState('');
  const [access, setAccess] = useState<'read' | 'write'>('read');
  const [busy, setBusy] = useState(false);
  const [comment, setComment] = useState('');
  const [taskTitle, setTaskTitle] = useState('');
  const [obsType, setObsType] = useState('ip');
  const [obsValue, setObsValue] = useState('');

  const load = useCallback(async () => {
    try {
      const i = await incidents.get(id);
      setIncident(i);
      const [t, k, o, a, n] = await Promise.all([
        incidents.timeline(id),
        incidents.tasks(id),
        incidents.observables(id),
        incidents.attachments(id),
        incidents.notifications(id),
      ]);
      setDeliveries(n);
      setTimeline(t);
      setTasks(k);
      setObservables(o);
      setAttachments(a);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setActionError(null);
    try {
      await fn();
      setDialog(null);
      setReason('');
      setTarget('');
      await load();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }

  if (error) return <ErrorBanner error={error} title="Could not load the incident." />;
  if (!incident) return <Spinner />;
  const i = incident;
  const canTriage = hasRole('admin', 'analyst') && (user?.organisation_kind ?? '').endsWith('_cert');
  const now = Date.now();

  function confirmDialog() {
    if (!dialog) return;
    if (dialog.kind === 'transition')
      void act(() => incidents.update(i.id, { status: dialog.to, reason }, i.version));
    else if (dialog.kind === 'escalate') void act(() => incidents.escalate(i.id, reason));
    else if (dialog.kind === 'delegate') void act(() => incidents.delegate(i.id, target, reason));
    else if (dialog.kind === 'share') void act(() => incidents.share(i.id, target, access, reason));
  }

  const dialogTitle =
    dialog?.kind === 'transition'
      ? `${transitionLabel(i.status, dialog.to)} ${i.reference}`
      : dialog?.kind === 'escalate'
        ? `Escalate ${i.reference} to the parent CERT`
        : dialog?.kind === 'delegate'
          ? `Delegate ${i.reference} to a CERT below ${i.handling_organisation.name}`
          : `Share ${i.reference}`;
  const certs = orgs.filter((o) => o.kind.endsWith('_cert') && o.kind !== 'partner_cert' && o.kind !== 'cert_council');

  return (
    <>
      <p className="breadcrumb"><Link to="/incidents">Incidents</Link> / {i.reference}</p>
      <PageHeader
        title={i.title}
        subtitle={
          <>
            <span className="mono">{i.reference}</span> · <span data-testid="incident-status">{STATUS_LABELS[i.status]}</span> · handled by{' '}
            <strong data-testid="handling-cert">{i.handling_organisation.name}</strong>
            {i.confidential && <span className="badge badge-warn">confidential</span>}
          </>
        }
        actions={
          canTriage && (
            <>
              {i.allowed_transitions.map((to) => (
                <button key={to} type="button" className={to === 'rejected' ? 'btn btn-danger-outline' : 'btn'}
                  onClick={() => setDialog({ kind: 'transition', to })}>
                  {transitionLabel(i.status, to)}
                </button>
              ))}
              {!i.assignee || i.assignee.id !== user?.id ? (
                <button type="button" className="btn" onClick={() => act(() => incidents.update(i.id, { assignee: user?.id ?? null }, i.version))}>
                  Assign to me
                </button>
              ) : null}
              <button type="button" className="btn" onClick={() => setDialog({ kind: 'escalate' })}>Escalate</button>
              <button type="button" className="btn" onClick={() => setDialog({ kind: 'delegate' })}>Delegate</button>
              <button type="button" className="btn" onClick={() => setDialog({ kind: 'share' })}>Share</button>
            </>
          )
        }
      />
      <ErrorBanner error={dialog ? null : actionError} title="The change was refused." />
      <div className="form-grid">
        <section className="panel" aria-labelledby="inc-summary">
          <h2 id="inc-summary">Summary</h2>
          <dl className="props">
            <dt>Classification</dt>
            <dd>{i.classification.map((c) => c.name).join(', ')}</dd>
            <dt>Severity</dt>
            <dd><SeverityBadge severity={i.severity} /></dd>
            <dt>TLP / PAP</dt>
            <dd><TlpBadge tlp={i.tlp} /> {i.pap}</dd>
            <dt>Organisation</dt>
            <dd>{i.organisation.name}</dd>
            <dt>Sector / regime</dt>
            <dd>{i.sector || '—'} / {i.regime}</dd>
            <dt>Reporter</dt>
            <dd>{[i.reporter.name, i.reporter.email, i.reporter.phone].filter(Boolean).join(' · ') || '—'}</dd>
            <dt>Assignee</dt>
            <dd data-testid="assignee">{i.assignee?.username ?? '—'}</dd>
            <dt>Aware at</dt>
            <dd>{formatTime(i.aware_at)}</dd>
            <dt>Reported</dt>
            <dd>{formatTime(i.created_at)} via {i.source}</dd>
            {i.merged_into && (<><dt>Merged into</dt><dd><Link to={`/incidents/${i.merged_into}`}>{i.merged_into}</Link></dd></>)}
          </dl>
          <p className="cell-text" style={{ whiteSpace: 'pre-wrap' }}>{i.description}</p>
        </section>
        <section className="panel" aria-labelledby="inc-deadlines">
          <h2 id="inc-deadlines">Reporting deadlines ({i.regime})</h2>
          {i.deadlines.length === 0 ? (
            <p className="muted">No deadlines under this regime.</p>
          ) : (
            <table className="table" data-testid="deadlines">
              <tbody>
                {i.deadlines.map((d) => {
                  const state = deadlineState(d, now);
                  return (
                    <tr key={d.kind}>
                      <th scope="row">{DEADLINE_LABELS[d.kind] ?? d.kind}</th>
                      <td className="nowrap">{formatTime(d.due_at)}</td>
                      <td>
                        <span className={state === 'overdue' || state === 'late' ? 'badge sev-critical' : state === 'due_soon' ? 'badge sev-high' : state === 'met' ? 'badge badge-ok' : 'badge badge-plain'}>
                          {state === 'met' ? 'met' : state === 'late' ? 'met late' : relativeTime(d.due_at, now)}
                        </span>
                      </td>
                      <td>
                        {!d.met_at && canTriage && d.kind !== 'acknowledge' && (
                          <button type="button" className="btn btn-small" onClick={() => act(() => incidents.meetDeadline(i.id, d.kind))}>
                            Mark submitted
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
        <section className="panel span-2" aria-labelledby="inc-timeline">
          <h2 id="inc-timeline">Timeline</h2>
          <ol className="value-list" data-testid="timeline">
            {timeline.map((e) => (
              <li key={e.id}>
                <span className="muted small nowrap">{formatTime(e.at)}</span> <span className="badge badge-plain">{e.kind}</span>{' '}
                <strong>{e.actor}</strong>: <span style={{ whiteSpace: 'pre-wrap' }}>{e.text}</span>
              </li>
            ))}
          </ol>
          <form
            className="inline-form"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              if (comment.trim()) void act(() => incidents.comment(i.id, comment.trim()).then(() => setComment('')));
            }}
          >
            <div className="field">
              <label htmlFor="inc-comment">Comment</label>
              <textarea id="inc-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
            </div>
            <button type="submit" className="btn">Add comment</button>
          </form>
        </section>
        <section className="panel" aria-labelledby="inc-tasks">
          <h2 id="inc-tasks">Tasks</h2>
          {tasks.length === 0 ? <p className="muted">No tasks.</p> : (
            <ul className="value-list" data-testid="tasks">
              {tasks.map((t) => (
                <li key={t.id}>
                  <span className={t.status === 'done' ? 'badge badge-ok' : 'badge badge-plain'}>{t.status}</span> {t.title}
                  {t.assignee && <span className="muted"> · {t.assignee.username}</span>}
                  {canTriage && t.status !== 'done' && (
                    <button type="button" className="btn btn-small" onClick={() => act(() => incidents.updateTask(i.id, t.id, { status: 'done' }))}>
                      Done
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
          {canTriage && (
            <form className="inline-form" onSubmit={(e) => {
              e.preventDefault();
              if (taskTitle.trim()) void act(() => incidents.addTask(i.id, taskTitle.trim()).then(() => setTaskTitle('')));
            }}>
              <div className="field">
                <label htmlFor="inc-task">New task</label>
                <input id="inc-task" value={taskTitle} onChange={(e) => setTaskTitle(e.target.value)} />
              </div>
              <button type="submit" className="btn">Add task</button>
            </form>
          )}
        </section>
        <section className="panel" aria-labelledby="inc-observables">
          <h2 id="inc-observables">Observables</h2>
          {observables.length === 0 ? <p className="muted">No observables.</p> : (
            <table className="table" data-testid="observables">
              <tbody>
                {observables.map((o) => (
                  <tr key={`${o.type}:${o.value}`}>
                    <td>{o.type}</td>
                    <td className="mono small">{o.value}</td>
                    <td><TlpBadge tlp={o.tlp} /></td>
                    <td className="small">
                      {o.seen_in.length ? <>also in {o.seen_in.map((r) => <Link key={r} to={`/incidents/${r}`}>{r} </Link>)}</> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form className="inline-form" onSubmit={(e) => {
            e.preventDefault();
            if (obsValue.trim()) void act(() => incidents.addObservable(i.id, obsType, obsValue.trim()).then(() => setObsValue('')));
          }}>
            <div className="field">
              <label htmlFor="inc-obs-type">Type</label>
              <select id="inc-obs-type" value={obsType} onChange={(e) => setObsType(e.target.value)}>
                {OBSERVABLE_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
              </select>
            </div>
            <div className="field">
              <label htmlFor="inc-obs-value">Value</label>
              <input id="inc-obs-value" value={obsValue} onChange={(e) => setObsValue(e.target.value)} />
            </div>
            <button type="submit" className="btn">Add observable</button>
          </form>
        </section>
        <section className="panel span-2" aria-labelledby="inc-attachments">
          <h2 id="inc-attachments">Evidence</h2>
          {attachments.length === 0 ? <p className="muted">No attachments.</p> : (
            <table className="table" data-testid="attachments">
              <tbody>
                {attachments.map((a) => (
                  <tr key={a.id}>
                    <td><a href={`/api/v1${a.url.replace(/^\/api\/v1/, '')}`} download={a.filename}>{a.filename}</a></td>
                    <td className="small">{a.size} bytes</td>
                    <td className="mono small">{a.sha256.slice(0, 16)}…</td>
                    <td className="small">{a.created_by} · {formatTime(a.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="field">
            <label htmlFor="inc-upload">Upload evidence</label>
            <input id="inc-upload" type="file" onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void act(() => incidents.upload(i.id, f));
              e.target.value = '';
            }} />
          </div>
        </section>
      </div>
      <section className="panel" aria-labelledby="inc-deliveries">
        <h2 id="inc-deliveries">Notifications sent</h2>
        {deliveries.length === 0 ? <p className="muted">None.</p> : (
          <table className="table" data-testid="deliveries">
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td>{d.channel}</td>
                  <td className="small">{d.recipient}</td>
                  <td className="small">{d.subject ?? d.event}</td>
                  <td><span className={d.status === 'delivered' ? 'badge badge-ok' : d.status === 'failed' ? 'badge sev-critical' : 'badge badge-plain'}>{d.status}</span></td>
                  <td className="small muted">{d.attempts} attempt{d.attempts === 1 ? '' : 's'}{d.last_error ? ` · ${d.last_error}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {timeline.length === 0 && <EmptyState title="No events yet." />}
      <ConfirmDialog
        open={dialog !== null}
        title={dialogTitle}
        confirmLabel={dialog?.kind === 'transition' ? transitionLabel(i.status, dialog.to) : dialog?.kind === 'escalate' ? 'Escalate' : dialog?.kind === 'delegate' ? 'Delegate' : 'Share'}
        danger={dialog?.kind === 'transition' && dialog.to === 'rejected'}
        busy={busy}
        error={actionError}
        onCancel={() => { setDialog(null); setActionError(null); }}
        onConfirm={confirmDialog}
      >
        {(dialog?.kind === 'delegate' || dialog?.kind === 'share') && (
          <div className="field">
            <label htmlFor="dlg-target">{dialog.kind === 'delegate' ? 'CERT' : 'Organisation'}</label>
            <select id="dlg-target" required value={target} onChange={(e) => setTarget(e.target.value)}>
              <option value="">Choose…</option>
              <OrgOptions items={dialog.kind === 'delegate' ? certs : orgs} />
            </select>
          </div>
        )}
        {dialog?.kind === 'share' && (
          <div className="field">
            <label htmlFor="dlg-access">Access</label>
            <select id="dlg-access" value={access} onChange={(e) => setAccess(e.target.value as 'read' | 'write')}>
              <option value="read">Read-only</option>
              <option value="write">Read-write</option>
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="dlg-reason">
            Reason{dialog?.kind === 'transition' && needsReason(i.status, dialog.to) ? ' (required)' : ''}
          </label>
          <textarea id="dlg-reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)}
            required={dialog?.kind === 'transition' && needsReason(i.status, dialog.to)} />
        </div>
      </ConfirmDialog>
    </>
  );
}
