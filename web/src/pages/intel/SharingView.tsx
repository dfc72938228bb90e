// Sharing with other platforms: the MISP feed URLs (and how to add them in MISP), and the TAXII
// 2.1 server's address and authentication. Nothing here is secret: the token is the user's own,
// made on the Account page.

import { Link } from 'react-router-dom';
import { PageHeader } from '../../components/common';

const FEEDS: { feed: string; who: string }[] = [
  { feed: 'all', who: 'every event your account may see (up to TLP:AMBER+STRICT by default)' },
  { feed: 'partners', who: 'only events shared with the partner CERTs' },
  { feed: 'national', who: 'only events shared with the whole constituency' },
  { feed: 'sector', who: 'only events shared with a sector' },
  { feed: 'public', who: 'TLP:CLEAR events only, without authentication' },
];

export function SharingView() {
  const origin = window.location.origin;
  const feedUrl = (feed: string) => `${origin}/api/v1/intel/misp-feed/${feed}`;
  return (
    <>
      <PageHeader title="Sharing with MISP and TAXII" subtitle="Other platforms pull our intel as a MISP feed or over TAXII 2.1, seeing exactly what the account behind the token may see." />
      <section className="panel" data-testid="misp-feed">
        <h2>MISP feed</h2>
        <p>Feed URLs (MISP appends <code>/manifest.json</code>, <code>/&lt;uuid&gt;.json</code> and <code>/hashes.csv</code>):</p>
        <table className="table">
          <thead><tr><th scope="col">URL</th><th scope="col">Holds</th></tr></thead>
          <tbody>
            {FEEDS.map((f) => (
              <tr key={f.feed}>
                <td className="mono small" data-testid="misp-feed-url">{feedUrl(f.feed)}</td>
                <td className="small">{f.who}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3>Adding it in MISP</h3>
        <ol>
          <li>Make a read-only API token on your <Link to="/account">Account</Link> page (scope <code>read</code>), for an account of the organisation that receives the feed.</li>
          <li>In MISP: <strong>Sync Actions → Feeds → Add Feed</strong>. Input source <em>Network</em>, source format <em>MISP Feed</em>.</li>
          <li>URL: <code className="mono">{feedUrl('all')}</code></li>
          <li>Headers: <code className="mono">Authorization: Bearer mfz_…</code> (your token). The <code>public</code> feed needs no header.</li>
          <li>Enable the feed and choose <strong>Fetch and store all feed data</strong>. MISP then polls it; unchanged files answer 304.</li>
        </ol>
      </section>
      <section className="panel" data-testid="taxii-info">
        <h2>TAXII 2.1</h2>
        <p>Discovery: <code className="mono">{`${origin}/taxii2/`}</code> · API root: <code className="mono">{`${origin}/taxii2/api/`}</code></p>
        <p>Collections <code>public</code> (TLP:CLEAR, no authentication), <code>partners</code>, <code>national</code>, <code>sector</code>, <code>cert</code>, <code>organisation</code>.
          Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>, or HTTP Basic with any user name and the API token as the password.</p>
      </section>
    </>
  );
}
