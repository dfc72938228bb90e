// Incidents: the queues, the incident page, the report form and the figures.
//   /incidents            queues (?queue=triage|mine|cert|due_soon|overdue|all) with filters and search
//   /incidents/new        report an incident
//   /incidents/stats      aggregate figures (the Council sees only these)
//   /incidents/:id        one incident: summary, deadlines, timeline, tasks, observables,
//                         attachments, and the escalate / delegate / share dialogs
// The public report form without an account is /report (PublicReportPage, outside the login).

import { useEffect, useState } from 'react';
import { NavLink, Route, Routes } from 'react-router-dom';
import { organisations } from '../api/endpoints';
import type { TreeItem } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { EmptyState, ErrorBanner } from '../components/common';
import { IncidentList } from './incidents/IncidentList';
import { IncidentDetail } from './incidents/IncidentDetail';
import { NewIncident } from './incidents/ReportForm';
import { StatsView } from './incidents/StatsView';

export function IncidentsPage() {
  const { hasRole } = useAuth();
  const [orgs, setOrgs] = useState<TreeItem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const council = hasRole('council');

  useEffect(() => {
    if (council) return;
    organisations.tree().then(setOrgs).catch(setError);
  }, [council]);

  const tabs = council
    ? [{ to: '/incidents/stats', label: 'Figures', end: false }]
    : [
        { to: '/incidents', label: 'Queues', end: true },
        { to: '/incidents/new', label: 'Report an incident', end: false },
        { to: '/incidents/stats', label: 'Figures', end: false },
      ];

  return (
    <div className="page">
      <nav className="tabs" aria-label="Incidents">
        {tabs.map((t) => (
          <NavLink key={t.to} to={t.to} end={t.end} className="tab">
            {t.label}
          </NavLink>
        ))}
      </nav>
      <ErrorBanner error={error} title="Could not load the constituency." />
      <Routes>
        <Route index element={council ? <StatsView /> : <IncidentList />} />
        <Route path="new" element={<NewIncident orgs={orgs} />} />
        <Route path="stats" element={<StatsView />} />
        <Route path=":id" element={<IncidentDetail orgs={orgs} />} />
        <Route path="*" element={<EmptyState title="Page not found">There is nothing at this address.</EmptyState>} />
      </Routes>
    </div>
  );
}
