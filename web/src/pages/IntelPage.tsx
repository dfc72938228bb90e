// Intel: threat-intelligence events shared by TLP 2.0 and audience over the CERT tree.
//   /intel                 events visible to the caller, with search
//   /intel/new             publish an event (title, TLP, audience, tags, pasted indicators)
//   /intel/indicators      indicator search by value, type, TLP, tag; CSV export
//   /intel/correlations    values that over-correlate
//   /intel/sharing         the MISP feed URLs (and how to add them in MISP), TAXII access
//   /intel/:id             one event: indicators, the share dialog with the recipients preview,
//                          correlations, STIX/MISP export

import { NavLink, Route, Routes } from 'react-router-dom';
import { EmptyState } from '../components/common';
import { CorrelationView } from './intel/CorrelationView';
import { EventDetail } from './intel/EventDetail';
import { EventForm } from './intel/EventForm';
import { EventList } from './intel/EventList';
import { IndicatorSearch } from './intel/IndicatorSearch';
import { SharingView } from './intel/SharingView';

export function IntelPage() {
  const tabs = [
    { to: '/intel', label: 'Events', end: true },
    { to: '/intel/new', label: 'Publish an event', end: false },
    { to: '/intel/indicators', label: 'Indicators', end: false },
    { to: '/intel/correlations', label: 'Correlations', end: false },
    { to: '/intel/sharing', label: 'MISP & TAXII', end: false },
  ];
  return (
    <div className="page">
      <nav className="tabs" aria-label="Intel">
        {tabs.map((t) => (
          <NavLink key={t.to} to={t.to} end={t.end} className="tab">
            {t.label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<EventList />} />
        <Route path="new" element={<EventForm />} />
        <Route path="indicators" element={<IndicatorSearch />} />
        <Route path="correlations" element={<CorrelationView />} />
        <Route path="sharing" element={<SharingView />} />
        <Route path=":id" element={<EventDetail />} />
        <Route path="*" element={<EmptyState title="Page not found">There is nothing at this address.</EmptyState>} />
      </Routes>
    </div>
  );
}
