// Routes: /login, then the signed-in layout with one route per navigation entry and /account.

import type { ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { useAuth } from './auth/AuthContext';
import { Layout } from './layout/Layout';
import { NAV, type NavEntry } from './nav';
import { LoginPage } from './pages/LoginPage';
import { AccountPage } from './pages/AccountPage';
import { MfaEnrolmentPage } from './pages/MfaEnrolmentPage';
import { PublicReportPage } from './pages/incidents/ReportForm';
import { EmptyState, Spinner } from './components/common';

function RequireAuth({ children }: { children: ReactNode }) {
  const { status, mfaEnrolmentRequired } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <div className="boot"><Spinner /></div>;
  if (status === 'anonymous') {
    const next = location.pathname + location.search;
    return <Navigate to={`/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`} replace />;
  }
  if (mfaEnrolmentRequired) return <MfaEnrolmentPage />;
  return <>{children}</>;
}

function Guarded({ entry }: { entry: NavEntry }) {
  const { user } = useAuth();
  if (entry.roles && (!user || !entry.roles.includes(user.role))) {
    return (
      <EmptyState title="Not permitted">
        The {entry.label} page is for {entry.roles.join(', ')} accounts.
      </EmptyState>
    );
  }
  return entry.element;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/report" element={<PublicReportPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to={NAV[0].path} replace />} />
        {NAV.map((e) => (
          <Route key={e.path} path={`${e.path}/*`} element={<Guarded entry={e} />} />
        ))}
        <Route path="/account" element={<AccountPage />} />
        <Route path="*" element={<EmptyState title="Page not found">There is nothing at this address.</EmptyState>} />
      </Route>
    </Routes>
  );
}
