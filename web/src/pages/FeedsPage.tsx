// Feeds: tabs over the sub-pages.
//   /feeds                the feeds, their runs and figures, and a report upload (National CERT staff)
//   /feeds/runs/:id       one run: totals and where its events went (National CERT staff)
//   /feeds/events         events explorer with filters and downloads (JSON lines, CSV)
//   /feeds/mine           "events about my networks" of the user's organisation
//   /feeds/dead-letters   records that could not be parsed, with replay (National CERT staff)
//   /feeds/digests        the notification log and digest preferences

import { NavLink, Route, Routes } from 'react-router-dom';
import { useAuth } from '../auth/AuthContext';
import { EmptyState } from '../components/common';
import { FeedsOverview } from './feeds/FeedsOverview';
import { EventsExplorer } from './feeds/EventsExplorer';
import { DeadLetters } from './feeds/DeadLetters';
import { DigestLog } from './feeds/DigestLog';
import { RunDetail } from './feeds/RunDetail';

export function FeedsPage() {
  const { user, hasRole } = useAuth();
  // As the server's rule for uploads, runs and dead letters; the server has the last word.
  const operator = user?.organisation_kind === 'national_cert' && hasRole('admin', 'analyst');
  const tabs: { to: string; label: string; end?: boolean }[] = [];
  if (operator) tabs.push({ to: '/feeds', label: 'Feeds and runs', end: true });
  tabs.push({ to: '/feeds/events', label: 'Events' });
  tabs.push({ to: '/feeds/mine', label: 'About my networks' });
  if (operator) tabs.push({ to: '/feeds/dead-letters', label: 'Dead letters' });
  tabs.push({ to: '/feeds/digests', label: 'Notifications' });
  return (
    <div className="page">
      <nav className="tabs" aria-label="Feeds">
        {tabs.map((t) => (
          <NavLink key={t.to} to={t.to} end={t.end} className="tab">
            {t.label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={operator ? <FeedsOverview /> : <EventsExplorer mine />} />
        <Route path="runs/:id" element={<RunDetail />} />
        <Route path="events" element={<EventsExplorer />} />
        <Route path="mine" element={<EventsExplorer mine />} />
        <Route path="dead-letters" element={<DeadLetters />} />
        <Route path="digests" element={<DigestLog />} />
        <Route path="*" element={<EmptyState title="Page not found">There is nothing at this address.</EmptyState>} />
      </Routes>
    </div>
  );
}
