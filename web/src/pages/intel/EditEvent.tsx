// Edit an event's title, description, tags and confidence, and add indicators (the creating
// organisation only). Sharing changes go through the share dialog.

import { useState } from 'react';
import { intel, type IntelEvent } from '../../api/intel';
import { ErrorBanner } from '../../components/common';
import { parseIndicatorLines, splitTags } from '../../lib/intel';

export function EditEvent({ event, etag, onDone, onClose }: {
  event: IntelEvent;
  etag: string | null;
  onDone: () => void;
  onClose: () => void;
}) {
  const [title, setTitle] = useState(event.title);
  const [description, setDescription] = useState(event.description);
  const [tags, setTags] = useState(event.tags.join(', '));
  const [confidence, setConfidence] = useState(String(event.confidence));
  const [lines, setLines] = useState('');
  const [error, setError] = useState<unknown>(null);
  const parsed = parseIndicatorLines(lines);
  return (
    <form className="panel form" data-testid="edit-event" onSubmit={async (e) => {
      e.preventDefault();
      try {
        await intel.update(event.id, { title, description, tags: splitTags(tags), confidence: Number(confidence) }, etag);
        if (parsed.indicators.length > 0) await intel.addIndicators(event.id, parsed.indicators);
        onDone();
      } catch (err) {
        setError(err);
      }
    }}>
      <ErrorBanner error={error} title="The event was not changed." />
      <div className="field">
        <label htmlFor="edit-title">Title</label>
        <input id="edit-title" required value={title} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="edit-description">Description</label>
        <textarea id="edit-description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="edit-tags">Tags</label>
        <input id="edit-tags" value={tags} onChange={(e) => setTags(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="edit-confidence">Confidence (0–100)</label>
        <input id="edit-confidence" type="number" min={0} max={100} value={confidence} onChange={(e) => setConfidence(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="edit-indicators">Add indicators (one per line)</label>
        <textarea id="edit-indicators" rows={4} className="mono" value={lines} onChange={(e) => setLines(e.target.value)} />
        {parsed.errors.map((m) => <p key={m} className="field-error">{m}</p>)}
      </div>
      <div className="form-actions">
        <button type="button" className="btn" onClick={onClose}>Cancel</button>
        <button type="submit" className="btn btn-primary" disabled={parsed.errors.length > 0}>Save</button>
      </div>
    </form>
  );
}
