// The correlation view: values shared by more events than the limit stop linking and are listed
// here; per-event correlations are on each event's page.

import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { intel, type Correlations } from '../../api/intel';
import { ErrorBanner, PageHeader, Spinner } from '../../components/common';

export function CorrelationView() {
  const [data, setData] = useState<Correlations | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => { intel.correlations().then(setData).catch(setError); }, []);
  return (
    <>
      <PageHeader title="Correlations" subtitle="Indicators are linked through an index by value; a value in too many events stops linking." />
      <ErrorBanner error={error} title="Could not load correlations." />
      {!data ? <Spinner /> : (
        <section className="panel">
          <p>A value held by more than <strong>{data.limit}</strong> events is over-correlating (usually benign infrastructure).</p>
          {data.over_correlating.length === 0 ? <p className="muted">No value over-correlates.</p> : (
            <table className="table" data-testid="over-correlating">
              <thead><tr><th scope="col">Type</th><th scope="col">Value</th><th scope="col">Events</th></tr></thead>
              <tbody>
                {data.over_correlating.map((o) => (
                  <tr key={o.type + o.value}>
                    <td className="small">{o.type}</td>
                    <td className="mono small"><Link to={`/intel/indicators`}>{o.value}</Link></td>
                    <td className="small">{o.event_count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
