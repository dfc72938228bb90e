// Small pieces of the intel pages.

import { tlpTone } from '../../lib/intel';

export function TlpTag({ tlp }: { tlp: string }) {
  return (
    <span className={`badge tlp ${tlpTone(tlp)}`} data-testid="tlp-badge">
      {tlp}
    </span>
  );
}
