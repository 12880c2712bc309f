/**
 * `listAfter` for the SQL stores: names by name id, with a cursor that
 * does not lose names whose ids commit out of order.
 *
 * Name ids come from a sequence (PostgreSQL) or AUTO_INCREMENT (MySQL),
 * taken when a row is inserted and visible only when its transaction
 * commits: a flush holding id 10 may commit after one holding id 11, so a
 * reader that saw 11 and moved its cursor past it would never see 10. Ids
 * are also burnt for good (a rolled-back flush, an insert that lost a race
 * for the same name), so a missing id cannot simply be waited for.
 *
 * So a listing remembers the ids it found missing below the highest id it
 * read (gaps), each with when it was first seen, and the cursor it returns
 * stands for "read up to id S, except these gaps". The next listing asks
 * for the gap ids again, lists the ones that have appeared and keeps the
 * rest until {@link GAP_MS} has passed (longer than any flush transaction
 * runs; a full listing, due every few minutes anyway, covers the rest).
 *
 * A cursor without gaps is the id S itself. One with gaps is a negative
 * token for a snapshot kept in memory ({@link MAX_TOKENS} of them): a
 * cursor is only ever passed back to the store that returned it, and the
 * same cursor passed twice gives the same answer (nothing is consumed). An
 * unknown token (evicted) lists from 0: everything again, never less.
 */
import type { NameListing, Namespace } from "../../store.js";
import type { SqlClient, SqlDialect, TableKind } from "./sql-dialect.js";

/** How long a missing id is waited for, ms. */
export const GAP_MS = 60_000;
/** Gap ranges kept per cursor (the oldest go first: the full listing covers them). */
const MAX_GAPS = 256;
/** Cursor snapshots kept per store. */
const MAX_TOKENS = 4096;
/** Name rows read per statement. */
const CHUNK = 10_000;

/** Ids lo..hi (inclusive) not committed when first seen at `seen` (ms). */
interface Gap {
  readonly lo: number;
  readonly hi: number;
  readonly seen: number;
}

interface Cursor {
  readonly scan: number;
  readonly gaps: readonly Gap[];
}

export class SqlNameListings {
  private readonly tokens = new Map<number, Cursor>();
  private nextToken = -1;

  constructor(
    private readonly client: SqlClient,
    private readonly dialect: SqlDialect,
    /** Clock in ms (tests move it). */
    private readonly now: () => number = Date.now,
  ) {}

  private cursorOf(after: number): Cursor {
    if (after >= 0) return { scan: after, gaps: [] };
    return this.tokens.get(after) ?? { scan: 0, gaps: [] };
  }

  private tokenFor(c: Cursor): number {
    if (c.gaps.length === 0) return c.scan;
    const token = this.nextToken--;
    this.tokens.set(token, c);
    if (this.tokens.size > MAX_TOKENS) this.tokens.delete(this.tokens.keys().next().value!);
    return token;
  }

  async listAfter(t: Readonly<Record<TableKind, string>>, ns: Namespace, after: number, limit?: number): Promise<NameListing> {
    const d = this.dialect;
    const cursor = this.cursorOf(after);
    const now = this.now();
    const names: string[] = [];
    const live = `CASE WHEN EXISTS (SELECT 1 FROM ${t[ns.type]} d WHERE d.name_id = n.id) THEN 1 ELSE 0 END`;
    const columns = `SELECT n.id, ${d.text("n.name")}, ${live} FROM ${t.names} n`;

    // Gaps of the last listing that have been filled since.
    let gaps: Gap[] = [];
    const waiting = cursor.gaps.filter((g) => now - g.seen < GAP_MS);
    if (waiting.length > 0) {
      const where = waiting.map((_, i) => `n.id BETWEEN ${d.param(2 * i + 1)} AND ${d.param(2 * i + 2)}`).join(" OR ");
      const rows = await this.client.query({ text: `${columns} WHERE ${where} ORDER BY n.id`, values: waiting.flatMap((g) => [g.lo, g.hi]) });
      const found: number[] = [];
      for (const [id, name, isLive] of rows) {
        found.push(Number(id));
        if (Number(isLive) === 1) names.push(String(name));
      }
      for (const g of waiting) gaps.push(...missing(g, found));
    }

    // Then the ids above the highest read, noting the ones skipped.
    const chunk = Math.min(CHUNK, Math.max(limit ?? CHUNK, 1));
    const text = `${columns} WHERE n.id > ${d.param(1)} ORDER BY n.id LIMIT ${d.param(2)}`;
    let scan = cursor.scan;
    for (;;) {
      const rows = await this.client.query({ text, values: [scan, chunk] });
      let full = false;
      for (const [rawId, name, isLive] of rows) {
        const id = Number(rawId);
        if (id > scan + 1) gaps.push({ lo: scan + 1, hi: id - 1, seen: now });
        scan = id;
        if (Number(isLive) === 1) {
          names.push(String(name));
          if (limit !== undefined && names.length >= limit) {
            full = true;
            break;
          }
        }
      }
      if (full || rows.length < chunk) break;
    }
    if (gaps.length > MAX_GAPS) gaps = gaps.slice(gaps.length - MAX_GAPS);
    return { names, next: this.tokenFor({ scan, gaps }) };
  }
}

/** The parts of `g` none of the sorted `found` ids fall in. */
export function missing(g: Gap, found: readonly number[]): Gap[] {
  const out: Gap[] = [];
  let lo = g.lo;
  for (const id of found) {
    if (id < lo || id > g.hi) continue;
    if (id > lo) out.push({ lo, hi: id - 1, seen: g.seen });
    lo = id + 1;
  }
  if (lo <= g.hi) out.push({ lo, hi: g.hi, seen: g.seen });
  return out;
}
