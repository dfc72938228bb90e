// The share dialog: choose TLP and audience, preview which organisations will receive the event,
// then share (the creator only; widening is audited on the server).

import { useState } from 'react';
import { intel, type Audience, type IntelEvent, type OrgRef, type Tlp } from '../../api/intel';
import { ErrorBanner } from '../../components/common';
import { AUDIENCES, AUDIENCE_LABELS, TLPS, describeSharing, isWidening } from '../../lib/intel';

export function ShareDialog({ event, etag, onDone, onClose }: {
  event: IntelEvent;
  etag: string | null;
  onDone: (e: IntelEvent) => void;
  onClose: () => void;
}) {
  const [tlp, setTlp] = useState<Tlp>(event.tlp);
  const [audience, setAudience] = useState<Audience>(event.audience);
  const [preview, setPreview] = useState<OrgRef[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const widening = isWidening(event, { tlp, audience });
  return (
    <div className="dialog-backdrop">
      <div className="dialog panel" role="dialog" aria-modal="true" aria-labelledby="share-title">
        <h2 id="share-title">Share “{event.title}”</h2>
        <ErrorBanner error={error} title="Could not share." />
        <div className="field">
          <label htmlFor="share-tlp">TLP</label>
          <select id="share-tlp" value={tlp} onChange={(e) => { setTlp(e.target.value as Tlp); setPreview(null); }}>
            {TLPS.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="share-audience">Audience</label>
          <select id="share-audience" value={audience} onChange={(e) => { setAudience(e.target.value as Audience); setPreview(null); }}>
            {AUDIENCES.map((a) => <option key={a} value={a}>{AUDIENCE_LABELS[a]}</option>)}
          </select>
        </div>
        <p className="help">{describeSharing(tlp, audience)}</p>
        {widening && <p className="notice notice-warning">This shares more widely than now; the change is audited.</p>}
        <button type="button" className="btn" onClick={async () => {
          try {
            setPreview((await intel.recipients(event.id, tlp, audience)).items);
          } catch (e) {
            setError(e);
          }
        }}>Preview recipients</button>
        {preview && (
          <div data-testid="recipients-preview">
            <p><strong>{preview.length}</strong> organisation{preview.length === 1 ? '' : 's'} will receive it:</p>
            <ul className="small">{preview.map((o) => <li key={o.id}>{o.name}</li>)}</ul>
          </div>
        )}
        <div className="form-actions">
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
          <button type="button" className="btn btn-primary" onClick={async () => {
            try {
              onDone(await intel.update(event.id, { tlp, audience }, etag));
            } catch (e) {
              setError(e);
            }
          }}>Share</button>
        </div>
      </div>
    </div>
  );
}
