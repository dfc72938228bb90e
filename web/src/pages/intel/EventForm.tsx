// Publish an intel event: title, description, TLP, audience, tags and pasted indicators.

import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { intel, type Audience, type Tlp } from '../../api/intel';
import { ErrorBanner, PageHeader } from '../../components/common';
import { AUDIENCES, AUDIENCE_LABELS, TLPS, describeSharing, parseIndicatorLines, splitTags } from '../../lib/intel';

export function EventForm() {
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [tlp, setTlp] = useState<Tlp>('TLP:AMBER');
  const [audience, setAudience] = useState<Audience>('organisation');
  const [tags, setTags] = useState('');
  const [lines, setLines] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const parsed = parseIndicatorLines(lines);

  return (
    <>
      <PageHeader title="Publish an intel event" subtitle="Values are normalised on the server; known-benign values are flagged." />
      <ErrorBanner error={error} title="The event was not published." />
      <form
        className="panel form"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const ev = await intel.create({ title, description, tlp, audience, tags: splitTags(tags), indicators: parsed.indicators });
            navigate(`/intel/${encodeURIComponent(ev.id)}`);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div className="field">
          <label htmlFor="ev-title">Title</label>
          <input id="ev-title" required maxLength={500} value={title} onChange={(e) => setTitle(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="ev-description">Description</label>
          <textarea id="ev-description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="ev-tlp">TLP</label>
          <select id="ev-tlp" value={tlp} onChange={(e) => setTlp(e.target.value as Tlp)}>
            {TLPS.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ev-audience">Audience</label>
          <select id="ev-audience" value={audience} onChange={(e) => setAudience(e.target.value as Audience)}>
            {AUDIENCES.map((a) => <option key={a} value={a}>{AUDIENCE_LABELS[a]}</option>)}
          </select>
          <p className="help" data-testid="sharing-summary">{describeSharing(tlp, audience)}</p>
        </div>
        <div className="field">
          <label htmlFor="ev-tags">Tags</label>
          <input id="ev-tags" placeholder="phishing, T1566.001" value={tags} onChange={(e) => setTags(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="ev-indicators">Indicators (one per line: "type value" or a bare value)</label>
          <textarea id="ev-indicators" rows={6} className="mono" value={lines} onChange={(e) => setLines(e.target.value)}
            placeholder={'ipv4 203.0.113.9\nevil.example\nhttps://evil.example/login'} />
          <p className="help">{parsed.indicators.length} indicator{parsed.indicators.length === 1 ? '' : 's'}</p>
          {parsed.errors.map((m) => <p key={m} className="field-error">{m}</p>)}
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || !title || parsed.errors.length > 0}>Publish</button>
        </div>
      </form>
    </>
  );
}
