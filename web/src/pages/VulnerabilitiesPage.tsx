// Vulnerabilities: tabs over the sub-pages.
//   /vulnerabilities                  search (filters, cursor paging)
//   /vulnerabilities/cve/:id          one CVE: scores, KEV, EPSS, products, exposure
//   /vulnerabilities/exposure         exposure dashboard and findings (?organisation=&cve=)
//   /vulnerabilities/assets           asset inventory of an organisation (?organisation=)
//   /vulnerabilities/advisories       advisories; /new (?cve=), /:id the editor
//   /vulnerabilities/cvss             CVSS calculator (?vector=)
//   /vulnerabilities/import           CVE 5 / NVD / KEV / EPSS upload (National CERT admins and analysts)

import { useEffect, useState } from 'react';
import { NavLink, Route, Routes } from 'react-router-dom';
import { organisations } from '../api/endpoints';
import type { TreeItem } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { EmptyState, ErrorBanner } from '../components/common';
import { VulnSearch } from './vulns/VulnSearch';
import { CvePage } from './vulns/CvePage';
import { ExposurePage } from './vulns/ExposurePage';
import { AssetsPage } from './vulns/AssetsPage';
import { AdvisoryList } from './vulns/AdvisoryList';
import { AdvisoryEditor } from './vulns/AdvisoryEditor';
import { CvssPage } from './vulns/CvssPage';
import { ImportPage } from './vulns/ImportPage';

export function VulnerabilitiesPage() {
  const { user, hasRole } = useAuth();
  const [orgs, setOrgs] = useState<TreeItem[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    organisations
      .tree()
      .then(setOrgs)
      .catch(setError);
  }, []);

  const ownKind = user?.organisation_kind ?? orgs.find((o) => o.id === user?.organisation_id)?.kind;
  // As the server's rule for POST /vulnerabilities/import; the server has the last word.
  const canImport = ownKind === 'national_cert' && hasRole('admin', 'analyst');

  const tabs: { to: string; label: string; end?: boolean }[] = [
    { to: '/vulnerabilities', label: 'Search', end: true },
    { to: '/vulnerabilities/exposure', label: 'Exposure' },
    { to: '/vulnerabilities/assets', label: 'Assets' },
    { to: '/vulnerabilities/advisories', label: 'Advisories' },
    { to: '/vulnerabilities/cvss', label: 'CVSS calculator' },
  ];
  if (canImport) tabs.push({ to: '/vulnerabilities/import', label: 'Import' });

  return (
    <div className="page">
      <nav className="tabs" aria-label="Vulnerabilities">
        {tabs.map((t) => (
          <NavLink key={t.to} to={t.to} end={t.end} className="tab">
            {t.label}
          </NavLink>
        ))}
      </nav>
      <ErrorBanner error={error} title="Could not load the constituency." />
      <Routes>
        <Route index element={<VulnSearch />} />
        <Route path="cve/:id" element={<CvePage />} />
        <Route path="exposure" element={<ExposurePage orgs={orgs} />} />
        <Route path="assets" element={<AssetsPage orgs={orgs} />} />
        <Route path="advisories" element={<AdvisoryList />} />
        <Route path="advisories/new" element={<AdvisoryEditor />} />
        <Route path="advisories/:id" element={<AdvisoryEditor />} />
        <Route path="cvss" element={<CvssPage />} />
        <Route path="import" element={<ImportPage />} />
        <Route path="*" element={<EmptyState title="Page not found">There is nothing at this address.</EmptyState>} />
      </Routes>
    </div>
  );
}
