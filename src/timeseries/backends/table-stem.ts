import { createHash } from "node:crypto";

/**
 * Prefixes kept verbatim as the start of table names: lower-case ASCII
 * letters, digits and `_` mean the same table on every SQL server, whatever
 * its identifier case rules (SQLite folds ASCII case even in quotes, MySQL
 * does on some file systems). The empty prefix is one of them, so data
 * written under it keeps its table names.
 */
const PLAIN = /^[a-z0-9_]*$/;

/** The tail of an encoded stem (see {@link tableStem}): a plain prefix that ends like one is encoded too. */
const ENCODED_TAIL = /_[0-9a-f]{10}_$/;

/**
 * The start of every table name of a namespace prefix: the prefix itself
 * when it is plain and fits in `maxLength`; otherwise a readable form
 * (lower-cased, every other character `_`, cut to fit) followed by `_`, ten
 * hex digits of the prefix's SHA-256 and `_`.
 *
 * Distinct prefixes give distinct stems: verbatim stems never end like an
 * encoded one, encoded stems differ by their hash (40 bits), and table names
 * are a stem followed by a fixed kind (`names`, `count`, ...) none of which
 * ends another, so no two (stem, kind) pairs spell the same table. The
 * result is pure ASCII, so its length is its byte length.
 *
 * @param maxLength longest stem the server's identifier limit leaves room for
 */
export function tableStem(prefix: string, maxLength: number): string {
  if (prefix.length <= maxLength && PLAIN.test(prefix) && !ENCODED_TAIL.test(prefix)) return prefix;
  const hash = createHash("sha256").update(prefix, "utf8").digest("hex").slice(0, 10);
  const readable = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, Math.max(0, maxLength - hash.length - 2));
  return `${readable}_${hash}_`;
}
