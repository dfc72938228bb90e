// Constituency: the organisation tree on the left, the selected organisation (or its editor) on the right.
//   /constituency              tree, prompt to select
//   /constituency/new?parent=  editor for a new child
//   /constituency/:id          detail
//   /constituency/:id/edit     editor

import { useCallback, useEffect, useState } from 'react';
import { Route, Routes, useParams } from 'react-router-dom';
import { organisations } from '../api/endpoints';
import type { TreeItem } from '../api/types';
import { EmptyState, ErrorBanner } from '../components/common';
import { OrgTree } from './constituency/OrgTree';
import { OrgDetail } from './constituency/OrgDetail';
import { OrgEditor } from './constituency/OrgEditor';

export function ConstituencyPage() {
  const [items, setItems] = useState<TreeItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const params = useParams();
  const first = (params['*'] ?? '').split('/')[0];
  const selectedId = first && first !== 'new' ? first : null;

  const reload = useCallback(async () => {
    try {
      setItems(await organisations.tree());
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <div className="split">
      <section className="split-left panel" aria-label="Constituency tree">
        <ErrorBanner error={error} title="Could not load the constituency." />
        <OrgTree items={items} selectedId={selectedId} />
      </section>
      <section className="split-right">
        <Routes>
          <Route
            index
            element={
              <EmptyState title="Select an organisation">
                Choose an organisation in the tree to see its contacts and networks, or search by name, sector or
                country.
              </EmptyState>
            }
          />
          <Route path="new" element={<OrgEditor items={items ?? []} onSaved={reload} />} />
          <Route path=":id" element={<OrgDetail items={items ?? []} onChanged={reload} />} />
          <Route path=":id/edit" element={<OrgEditor items={items ?? []} onSaved={reload} />} />
        </Routes>
      </section>
    </div>
  );
}
