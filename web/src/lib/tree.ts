// The constituency tree, built on the client from the flat GET /organisations/tree list.

import type { TreeItem } from '../api/types';
import { kindLabel } from './orgs';

export interface TreeNode {
  item: TreeItem;
  children: TreeNode[];
}

const byName = (a: TreeNode, b: TreeNode) =>
  a.item.name.localeCompare(b.item.name, undefined, { sensitivity: 'base', numeric: true });

/**
 * Builds the forest from a flat list. Roots are items without a parent or whose parent
 * the caller cannot see (a sectoral CERT sees its own subtree only). Children are sorted
 * by name. Bad data (cycles, duplicate ids) never loops: each id appears once.
 */
export function buildTree(items: readonly TreeItem[]): TreeNode[] {
  const byId = new Map<string, TreeItem>();
  for (const item of items) if (!byId.has(item.id)) byId.set(item.id, item);

  const childrenOf = new Map<string, TreeItem[]>();
  const rootItems: TreeItem[] = [];
  for (const item of byId.values()) {
    if (item.parent_id && item.parent_id !== item.id && byId.has(item.parent_id)) {
      const list = childrenOf.get(item.parent_id);
      if (list) list.push(item);
      else childrenOf.set(item.parent_id, [item]);
    } else {
      rootItems.push(item);
    }
  }

  const visited = new Set<string>();
  const build = (item: TreeItem): TreeNode => {
    visited.add(item.id);
    const children: TreeNode[] = [];
    for (const child of childrenOf.get(item.id) ?? []) {
      if (!visited.has(child.id)) children.push(build(child));
    }
    children.sort(byName);
    return { item, children };
  };

  const roots = rootItems.map(build);
  // Items on a parent cycle are reachable from no root: show them as roots.
  for (const item of byId.values()) if (!visited.has(item.id)) roots.push(build(item));
  roots.sort(byName);
  return roots;
}

function normalise(s: string): string {
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** True when every word of `query` occurs in the item's name, sector, country or kind. */
export function matchesQuery(item: TreeItem, query: string): boolean {
  const words = normalise(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = normalise(
    [item.name, item.sector ?? '', item.country ?? '', item.kind, kindLabel(item.kind)].join(' '),
  );
  return words.every((w) => hay.includes(w));
}

export interface FilteredTree {
  roots: TreeNode[];
  /** Ids of the nodes that match the query themselves (not only through a descendant). */
  matched: Set<string>;
}

/** Keeps the nodes that match and their ancestors; an empty query keeps everything. */
export function filterTree(roots: readonly TreeNode[], query: string): FilteredTree {
  const matched = new Set<string>();
  if (!query.trim()) return { roots: [...roots], matched };
  const walk = (node: TreeNode): TreeNode | null => {
    const children = node.children.map(walk).filter((n): n is TreeNode => n !== null);
    const self = matchesQuery(node.item, query);
    if (self) matched.add(node.item.id);
    return self || children.length > 0 ? { item: node.item, children } : null;
  };
  return { roots: roots.map(walk).filter((n): n is TreeNode => n !== null), matched };
}

/** Ids of the ancestors of `id`, root first (not including `id`). */
export function ancestorIds(items: readonly TreeItem[], id: string): string[] {
  const parent = new Map(items.map((i) => [i.id, i.parent_id] as const));
  const out: string[] = [];
  const seen = new Set<string>([id]);
  let cur = parent.get(id) ?? null;
  while (cur && !seen.has(cur) && parent.has(cur)) {
    out.unshift(cur);
    seen.add(cur);
    cur = parent.get(cur) ?? null;
  }
  return out;
}

/** Ids of `id` and everything below it (for excluding them as a new parent). */
export function subtreeIds(items: readonly TreeItem[], id: string): Set<string> {
  const childrenOf = new Map<string, string[]>();
  for (const i of items) {
    if (!i.parent_id) continue;
    const list = childrenOf.get(i.parent_id);
    if (list) list.push(i.id);
    else childrenOf.set(i.parent_id, [i.id]);
  }
  const out = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const cur = stack.pop()!;
    if (out.has(cur)) continue;
    out.add(cur);
    stack.push(...(childrenOf.get(cur) ?? []));
  }
  return out;
}

/** Every node in depth-first order with its depth (for indented selects). */
export function flatten(roots: readonly TreeNode[]): { item: TreeItem; depth: number }[] {
  const out: { item: TreeItem; depth: number }[] = [];
  const walk = (n: TreeNode, depth: number) => {
    out.push({ item: n.item, depth });
    n.children.forEach((c) => walk(c, depth + 1));
  };
  roots.forEach((r) => walk(r, 0));
  return out;
}
