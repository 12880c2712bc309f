/**
 * In-memory index of the stored names for `/metrics/find` (reference §3.2):
 * a trie of dot-separated nodes, walked level by level, so a glob at one
 * level only looks at the children of the nodes matched so far — never at
 * every name.
 *
 * Memory is what decides the shape (≤ 100 bytes per name at a million
 * names). Node strings are interned, so `cpu` under 10,000 hosts is one
 * string. A trie node keeps its children as two parallel sorted arrays
 * (names, and the child nodes); a child that has no children of its own —
 * most of them, the leaves — is a `null` slot rather than an object, and a
 * node whose children are all such leaves has no child-node array at all.
 * Sorted arrays also let a literal or prefix pattern (`l2_5*`) find its
 * children by binary search.
 *
 * Each schema has its own trie: `replace(schema, names)` rebuilds one
 * schema's names off to the side and swaps them in, while a name stored
 * under several schemas stays findable through the others.
 */
import { compareNames, compileNodePattern, splitPath, type NodePattern } from "./path-glob.js";
import { TagIndex } from "./tags/tag-index.js";

/** The schema names go to when none is given. */
export const DEFAULT_SCHEMA = "";

/** One `find` match: a path at the pattern's depth. */
export interface FindNode {
  /** The full path (`servers.web1.cpu`). */
  readonly path: string;
  /** Its last node (`cpu`): graphite-web's `text`. */
  readonly name: string;
  /** A stored name ends here. */
  readonly leaf: boolean;
  /** Stored names continue below. A path can be both a leaf and a branch. */
  readonly branch: boolean;
}

export interface FindResult {
  /** Matches sorted by name (graphite-web's order), then node by node by path; one per path. */
  readonly nodes: FindNode[];
  /** True when `limit` stopped the walk: `nodes` is then a partial answer. */
  readonly truncated: boolean;
}

export interface FindOptions {
  /** Most matches to collect (default: no limit). */
  limit?: number;
}

/**
 * A trie node. Its children are `names` (sorted) and, parallel to them,
 * `kids`: the child's node when the child has children, else null; `kids`
 * itself is null while no child has children. A node with exactly one child
 * holds the name and the kid directly instead of one-element arrays — long
 * chains of single children (`host.cpu-0.value`) are common, and an array
 * costs some 50 bytes.
 */
class TrieNode {
  names: string | string[] = NO_NAMES;
  kids: TrieNode | Array<TrieNode | null> | null = null;
  /** A stored name ends at this node's path. */
  leaf: boolean;

  constructor(leaf: boolean) {
    this.leaf = leaf;
  }
}

/** The shared child list of a node with no children yet (never mutated: seal() replaces it). */
const NO_NAMES: string[] = [];

function childCount(node: TrieNode): number {
  return typeof node.names === "string" ? 1 : node.names.length;
}

function childName(node: TrieNode, i: number): string {
  return typeof node.names === "string" ? node.names : node.names[i];
}

function childKid(node: TrieNode, i: number): TrieNode | null {
  const kids = node.kids;
  if (kids === null) return null;
  return kids instanceof TrieNode ? kids : kids[i];
}

function setChildKid(node: TrieNode, i: number, kid: TrieNode): void {
  if (typeof node.names === "string") {
    node.kids = kid;
    return;
  }
  if (node.kids === null || node.kids instanceof TrieNode) node.kids = new Array<TrieNode | null>(node.names.length).fill(null);
  node.kids[i] = kid;
}

/** Index of `name` among the node's children, or -(insertion point) - 1. */
function search(node: TrieNode, name: string): number {
  const names = node.names;
  if (typeof names === "string") return names === name ? 0 : names < name ? -2 : -1;
  let lo = 0;
  let hi = names.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = names[mid];
    if (v < name) lo = mid + 1;
    else if (v > name) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}

function lowerBound(node: TrieNode, prefix: string): number {
  const i = search(node, prefix);
  return i >= 0 ? i : -i - 1;
}

/** One schema's names. */
class Trie {
  readonly root = new TrieNode(false);
  /** Distinct names (leaves). */
  size = 0;
  /**
   * Children added since the last seal, per node, merged into the sorted
   * arrays in one pass: a flat level of a million children must not be
   * built by insertion. Kept here, not on the nodes, so a node has no
   * field that is empty nearly all of its life.
   */
  private pending = new Map<TrieNode, Map<string, TrieNode | null>>();

  constructor(private readonly intern: (s: string) => string) {}

  /** Add one name; returns true when it was not there yet. Call `seal()` before reading. */
  insert(name: string): boolean {
    const parts = splitPath(name);
    let node = this.root;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const part = parts[i];
      const idx = search(node, part);
      if (idx >= 0) {
        const kid = childKid(node, idx);
        if (last) {
          if (kid === null) return false; // a child without children is always a leaf
          if (kid.leaf) return false;
          kid.leaf = true;
          this.size++;
          return true;
        }
        if (kid !== null) {
          node = kid;
          continue;
        }
        // A leaf grows children: it becomes a node that is both leaf and branch.
        const grown = new TrieNode(true);
        setChildKid(node, idx, grown);
        node = grown;
        continue;
      }
      // Not among the sealed children: look in (or add to) this batch's pending ones.
      let pending = this.pending.get(node);
      if (pending === undefined) {
        pending = new Map();
        this.pending.set(node, pending);
      }
      const has = pending.has(part);
      const kid = has ? pending.get(part)! : null;
      if (last) {
        if (!has) {
          pending.set(this.intern(part), null);
          this.size++;
          return true;
        }
        if (kid === null || kid.leaf) return false;
        kid.leaf = true;
        this.size++;
        return true;
      }
      if (kid !== null) {
        node = kid;
        continue;
      }
      const child = new TrieNode(has); // `has` with a null entry: it was a leaf
      pending.set(has ? part : this.intern(part), child);
      node = child;
    }
    return false;
  }

  /** Merge every node's pending children into its sorted children. */
  seal(): void {
    for (const [node, added] of this.pending) {
      const pending = [...added].sort((a, b) => compareNames(a[0], b[0]));
      const old = childCount(node);
      const n = old + pending.length;
      const names = new Array<string>(n);
      const kids = new Array<TrieNode | null>(n);
      let anyKid = false;
      let i = 0;
      let j = 0;
      for (let k = 0; k < n; k++) {
        if (j >= pending.length || (i < old && childName(node, i) < pending[j][0])) {
          names[k] = childName(node, i);
          kids[k] = childKid(node, i);
          i++;
        } else {
          names[k] = pending[j][0];
          kids[k] = pending[j][1];
          j++;
        }
        if (kids[k] !== null) anyKid = true;
      }
      if (n === 1) {
        node.names = names[0];
        node.kids = kids[0];
      } else {
        node.names = names;
        node.kids = anyKid ? kids : null;
      }
    }
    this.pending = new Map();
  }
}

/** Indices of the children of `node` that `pattern` matches, ascending. */
function matchChildren(node: TrieNode, pattern: NodePattern): number[] {
  const count = childCount(node);
  const out: number[] = [];
  if (pattern.matchesAll) {
    for (let i = 0; i < count; i++) out.push(i);
    return out;
  }
  if (pattern.exact !== null) {
    for (const name of pattern.exact) {
      const i = search(node, name);
      if (i >= 0) out.push(i);
    }
    return out; // `exact` is sorted, so the indices are too
  }
  for (const v of pattern.variants) {
    // Only the children starting with the variant's literal prefix can match it.
    for (let i = lowerBound(node, v.prefix); i < count; i++) {
      const name = childName(node, i);
      if (!name.startsWith(v.prefix)) break;
      if (v.test(name)) out.push(i);
    }
  }
  if (pattern.variants.length > 1) {
    out.sort((a, b) => a - b);
    let w = 0;
    for (let r = 0; r < out.length; r++) if (r === 0 || out[r] !== out[r - 1]) out[w++] = out[r];
    out.length = w;
  }
  return out;
}

/** Node-by-node order of two paths (the order the trie is walked in). */
function compareNodewise(a: string, b: string): number {
  const pa = splitPath(a);
  const pb = splitPath(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = compareNames(pa[i], pb[i]);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

function byNameThenNodes(a: FindNode, b: FindNode): number {
  return compareNames(a.name, b.name) || compareNodewise(a.path, b.path);
}

/**
 * Sort matches that are in walk order (node by node) by name, keeping walk
 * order among equal names. Bucketing by name sorts only the distinct names:
 * `f.*.l2_5*.m1*` gives 12,100 matches but 11 names.
 */
function sortByName(found: FindNode[]): FindNode[] {
  const buckets = new Map<string, FindNode[]>();
  for (const f of found) {
    const b = buckets.get(f.name);
    if (b === undefined) buckets.set(f.name, [f]);
    else b.push(f);
  }
  if (buckets.size === found.length) return found.sort((a, b) => compareNames(a.name, b.name));
  const out: FindNode[] = [];
  for (const name of [...buckets.keys()].sort(compareNames)) for (const f of buckets.get(name)!) out.push(f);
  return out;
}

/**
 * The names of every schema, for `find`. Not safe to share across threads;
 * in one event loop, every method runs to completion, so a `find` never sees
 * half an update.
 */
export interface NameIndexOptions {
  /**
   * Leave tagged names (`disk.used;dc=east`) out of the tree, as
   * graphite-web does: they are found through the tag API and
   * `seriesByTag`, never by glob (reference §3.2). Default true.
   */
  skipTagged?: boolean;
}

/** How many names `replaceAsync` inserts between two turns of the event loop. */
const ASYNC_CHUNK = 20_000;

export class NameIndex {
  /** The tagged names, kept out of the tries, by tag and value (for `seriesByTag` and the tag API). */
  readonly tagged = new TagIndex();
  private readonly tries = new Map<string, Trie>();
  private readonly strings = new Map<string, string>();
  private readonly skipTagged: boolean;
  private readonly intern = (s: string): string => {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  };

  constructor(options: NameIndexOptions = {}) {
    this.skipTagged = options.skipTagged ?? true;
  }

  private indexable(name: string): boolean {
    return !(this.skipTagged && name.includes(";"));
  }

  /** Add names to a schema (karbon's new names); returns how many were new to the tree (tagged names go to `tagged`). */
  add(names: Iterable<string>, schema = DEFAULT_SCHEMA): number {
    let trie = this.tries.get(schema);
    if (trie === undefined) {
      trie = new Trie(this.intern);
      this.tries.set(schema, trie);
    }
    let added = 0;
    try {
      for (const name of names) {
        if (this.indexable(name)) {
          if (trie.insert(name)) added++;
        } else this.tagged.add([name], schema); // counted apart: `tagged.size`
      }
    } finally {
      trie.seal();
    }
    return added;
  }

  /**
   * Replace a schema's names with a full listing (a refresh from the store's
   * `list()`). The new trie is built aside and swapped in at the end.
   */
  replace(schema: string, names: Iterable<string>): void {
    const trie = new Trie(this.intern);
    const tagged: string[] = [];
    try {
      for (const name of names) if (this.indexable(name)) trie.insert(name);
      else tagged.push(name);
    } finally {
      trie.seal();
    }
    this.tries.set(schema, trie);
    if (this.skipTagged) this.tagged.replace(schema, tagged);
    // Strings only the old trie used stay interned until `compact()`; a refresh rarely drops many.
  }

  /**
   * `replace`, yielding to the event loop every 20,000 names so a refresh
   * of a million names (about a second of work) does not stall requests;
   * `find` answers from the old names until the swap. Names added with
   * `add` to the same schema meanwhile are lost at the swap unless the
   * listing has them too — the next `add` or refresh brings them back.
   */
  async replaceAsync(schema: string, names: Iterable<string> | AsyncIterable<string>): Promise<void> {
    const trie = new Trie(this.intern);
    const tagged: string[] = [];
    let n = 0;
    const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
    try {
      if (Symbol.asyncIterator in names) {
        for await (const name of names) {
          if (this.indexable(name)) trie.insert(name);
          else tagged.push(name);
          if (++n % ASYNC_CHUNK === 0) await pause();
        }
      } else {
        // A plain loop: `for await` over a sync list would cost a promise per name.
        for (const name of names) {
          if (this.indexable(name)) trie.insert(name);
          else tagged.push(name);
          if (++n % ASYNC_CHUNK === 0) await pause();
        }
      }
    } finally {
      trie.seal();
    }
    this.tries.set(schema, trie);
    if (this.skipTagged) this.tagged.replace(schema, tagged);
  }

  /** Forget a schema's names. */
  drop(schema: string): void {
    this.tries.delete(schema);
    this.tagged.drop(schema);
  }

  /** Rebuild the intern table from the names still indexed (after many were dropped). */
  compact(): void {
    const live = new Set<string>();
    const visit = (node: TrieNode) => {
      for (let i = 0; i < childCount(node); i++) {
        live.add(childName(node, i));
        const kid = childKid(node, i);
        if (kid !== null) visit(kid);
      }
    };
    for (const t of this.tries.values()) visit(t.root);
    for (const s of this.strings.keys()) if (!live.has(s)) this.strings.delete(s);
  }

  /** Distinct names of one schema, or of all schemas added up. */
  size(schema?: string): number {
    if (schema !== undefined) return this.tries.get(schema)?.size ?? 0;
    let n = 0;
    for (const t of this.tries.values()) n += t.size;
    return n;
  }

  /** The schemas that have names. */
  schemas(): string[] {
    return [...this.tries.keys()];
  }

  /**
   * The paths at the pattern's depth that match it, as graphite-web's
   * finder reports them (§3.2): leaf, branch or both, one entry per path.
   * Backslashes in the pattern are dropped first, as graphite-web does.
   *
   * @throws PathPatternError when a node's braces expand too far.
   */
  find(pattern: string, options: FindOptions = {}): FindResult {
    const limit = options.limit ?? Infinity;
    const parts = splitPath(pattern.replaceAll("\\", ""));
    const nodes = parts.map((n) => compileNodePattern(n));
    // graphite-web answers a trailing dot (`servers.`) with each matched branch itself, named "".
    const emptyLast = parts.length > 1 && parts[parts.length - 1] === "";
    const found: FindNode[] = [];
    // The same path from several schemas is one entry (flags joined), and counts once towards the limit.
    const at = this.tries.size > 1 ? new Map<string, number>() : null;
    let truncated = false;
    // Tries that matched something: with one, `found` is already in walk order and only needs bucketing by name.
    let contributed = 0;
    for (const trie of this.tries.values()) {
      const before = found.length;
      if (walk(trie.root, nodes, found, limit, at, emptyLast)) truncated = true;
      if (found.length > before) contributed++;
      if (truncated) break;
    }
    const result = contributed > 1 ? found.sort(byNameThenNodes) : sortByName(found);
    return { nodes: result, truncated };
  }

  /** Every stored name (all schemas), sorted and unique: `/metrics/index.json`. */
  leaves(): string[] {
    const out = new Set<string>();
    const visit = (node: TrieNode, prefix: string) => {
      for (let i = 0; i < childCount(node); i++) {
        const kid = childKid(node, i);
        const path = prefix + childName(node, i);
        if (kid === null || kid.leaf) out.add(path);
        if (kid !== null) visit(kid, path + ".");
      }
    };
    for (const t of this.tries.values()) visit(t.root, "");
    return [...out].sort(compareNames);
  }
}

/**
 * Walk one trie level by level; returns true when `limit` was reached. With `at` (path → index in
 * `found`), a path found before is merged into its entry instead of added.
 */
function walk(root: TrieNode, pattern: readonly NodePattern[], found: FindNode[], limit: number, at: Map<string, number> | null, emptyLast = false): boolean {
  let frontier: TrieNode[] = [root];
  let prefixes: string[] = [""];
  const last = pattern.length - 1;
  for (let level = 0; level < last; level++) {
    const nextNodes: TrieNode[] = [];
    const nextPrefixes: string[] = [];
    for (let f = 0; f < frontier.length; f++) {
      const node = frontier[f];
      if (node.kids === null) continue; // only leaves below: nothing to descend into
      for (const i of matchChildren(node, pattern[level])) {
        const kid = childKid(node, i);
        if (kid === null) continue;
        nextNodes.push(kid);
        nextPrefixes.push(`${prefixes[f]}${childName(node, i)}.`);
      }
    }
    if (nextNodes.length === 0) return false;
    frontier = nextNodes;
    prefixes = nextPrefixes;
  }
  if (emptyLast) {
    for (let f = 0; f < frontier.length; f++) {
      const path = prefixes[f];
      if (at?.has(path)) continue;
      if (found.length >= limit) return true;
      at?.set(path, found.length);
      found.push({ path, name: "", leaf: false, branch: true });
    }
    return false;
  }
  for (let f = 0; f < frontier.length; f++) {
    const node = frontier[f];
    for (const i of matchChildren(node, pattern[last])) {
      const kid = childKid(node, i);
      const name = childName(node, i);
      const path = prefixes[f] + name;
      const leaf = kid === null || kid.leaf;
      const seen = at?.get(path);
      if (seen !== undefined) {
        const prev = found[seen];
        found[seen] = { path, name, leaf: prev.leaf || leaf, branch: prev.branch || kid !== null };
        continue;
      }
      if (found.length >= limit) return true;
      at?.set(path, found.length);
      found.push({ path, name, leaf, branch: kid !== null });
    }
  }
  return false;
}
