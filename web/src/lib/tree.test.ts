import { describe, expect, it } from 'vitest';
import type { TreeItem } from '../api/types';
import { ancestorIds, buildTree, filterTree, flatten, matchesQuery, subtreeIds } from './tree';

const items: TreeItem[] = [
  { id: 'b', name: 'Banking CERT', kind: 'sectoral_cert', parent_id: 'n', sector: 'banking', country: 'PK' },
  { id: 'h', name: 'Habib Test Bank', kind: 'constituent', parent_id: 'b', sector: 'banking', country: 'PK' },
  { id: 'n', name: 'National CERT', kind: 'national_cert', parent_id: null, country: 'PK' },
  { id: 'a', name: 'Allied Bank', kind: 'constituent', parent_id: 'b', sector: 'banking' },
  { id: 't', name: 'Telecom CERT', kind: 'sectoral_cert', parent_id: 'n', sector: 'telecom' },
  { id: 'p', name: 'Partner CERT (DE)', kind: 'partner_cert', parent_id: null, country: 'DE' },
];

const names = (nodes: { item: TreeItem }[]) => nodes.map((n) => n.item.name);

describe('buildTree', () => {
  it('nests by parent_id and sorts siblings by name', () => {
    const roots = buildTree(items);
    expect(names(roots)).toEqual(['National CERT', 'Partner CERT (DE)']);
    const national = roots[0];
    expect(names(national.children)).toEqual(['Banking CERT', 'Telecom CERT']);
    expect(names(national.children[0].children)).toEqual(['Allied Bank', 'Habib Test Bank']);
  });

  it('makes items whose parent is not visible into roots', () => {
    const sub = items.filter((i) => i.id !== 'n');
    expect(names(buildTree(sub))).toEqual(['Banking CERT', 'Partner CERT (DE)', 'Telecom CERT']);
  });

  it('survives cycles, self-parents and duplicate ids without losing or repeating nodes', () => {
    const bad: TreeItem[] = [
      { id: 'x', name: 'X', kind: 'constituent', parent_id: 'y' },
      { id: 'y', name: 'Y', kind: 'constituent', parent_id: 'x' },
      { id: 's', name: 'S', kind: 'constituent', parent_id: 's' },
      { id: 's', name: 'S again', kind: 'constituent', parent_id: null },
    ];
    const flat = flatten(buildTree(bad)).map((r) => r.item.id).sort();
    expect(flat).toEqual(['s', 'x', 'y']);
  });

  it('handles an empty list', () => {
    expect(buildTree([])).toEqual([]);
  });
});

describe('filterTree', () => {
  const roots = buildTree(items);

  it('keeps matches and their ancestors only', () => {
    const { roots: r, matched } = filterTree(roots, 'habib');
    expect(flatten(r).map((x) => x.item.name)).toEqual(['National CERT', 'Banking CERT', 'Habib Test Bank']);
    expect([...matched]).toEqual(['h']);
  });

  it('matches every word, case- and accent-insensitively, across name, sector, country and kind', () => {
    expect(matchesQuery(items[1], 'BANK habib')).toBe(true);
    expect(matchesQuery(items[1], 'habib telecom')).toBe(false);
    expect(matchesQuery(items[5], 'de partner')).toBe(true);
    expect(matchesQuery({ ...items[0], name: 'Bänking' }, 'banking cert')).toBe(true);
    expect(matchesQuery(items[0], 'sectoral')).toBe(true);
  });

  it('returns everything for an empty query and nothing for no match', () => {
    expect(filterTree(roots, '  ').roots).toHaveLength(2);
    expect(filterTree(roots, 'zzz').roots).toEqual([]);
  });
});

describe('ancestorIds / subtreeIds', () => {
  it('lists ancestors root first', () => {
    expect(ancestorIds(items, 'h')).toEqual(['n', 'b']);
    expect(ancestorIds(items, 'n')).toEqual([]);
  });
  it('collects a subtree', () => {
    expect([...subtreeIds(items, 'b')].sort()).toEqual(['a', 'b', 'h']);
  });
});
