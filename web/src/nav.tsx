// The capabilities shown in the left navigation, each with its route.
// A new capability is one line here: { path, label, icon, roles?, element }.
// `roles` limits who sees the entry (and the route answers "not permitted" to others).

import type { ReactElement } from 'react';
import type { Role } from './api/types';
import type { IconName } from './components/Icon';
import { ConstituencyPage } from './pages/ConstituencyPage';
import { UsersPage } from './pages/UsersPage';
import { AuditPage } from './pages/AuditPage';
import { VulnerabilitiesPage } from './pages/VulnerabilitiesPage';
import { FeedsPage } from './pages/FeedsPage';
import { IncidentsPage } from './pages/IncidentsPage';
import { IntelPage } from './pages/IntelPage';

export interface NavEntry {
  /** Route prefix; the page gets every path below it. */
  path: string;
  label: string;
  icon: IconName;
  roles?: readonly Role[];
  element: ReactElement;
}

export const NAV: readonly NavEntry[] = [
  { path: '/constituency', label: 'Constituency', icon: 'tree', element: <ConstituencyPage /> },
  { path: '/incidents', label: 'Incidents', icon: 'incident', element: <IncidentsPage /> },
  { path: '/intel', label: 'Intel', icon: 'intel', element: <IntelPage /> },
  { path: '/feeds', label: 'Feeds', icon: 'feed', element: <FeedsPage /> },
  { path: '/vulnerabilities', label: 'Vulnerabilities', icon: 'vuln', element: <VulnerabilitiesPage /> },
  // { path: '/reports', label: 'Reports', icon: 'report', element: <ReportsPage /> },
  { path: '/users', label: 'Users', icon: 'users', roles: ['admin'], element: <UsersPage /> },
  { path: '/audit', label: 'Audit log', icon: 'audit', roles: ['admin'], element: <AuditPage /> },
];

export function visibleNav(role: Role | undefined): NavEntry[] {
  return NAV.filter((e) => !e.roles || (role !== undefined && e.roles.includes(role)));
}
