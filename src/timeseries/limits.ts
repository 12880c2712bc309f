/**
 * What every store can hold, so ingest refuses it up front instead of a
 * store refusing a whole flush. The bounds are those of the smallest store:
 *
 * - names and histogram/set members: MySQL keeps them in VARBINARY(2048)
 *   columns (and 2,048 keeps the widest InnoDB key under its 3,072 bytes);
 *   PostgreSQL's btree entries stop near 2,700 bytes; SQLite and Redis
 *   take far more.
 * - series and gauge values: MySQL's BLOB, 65,535 bytes.
 * - no NUL characters: PostgreSQL's text cannot hold U+0000.
 */
export const MAX_NAME_BYTES = 2048;
export const MAX_MEMBER_BYTES = 2048;
export const MAX_VALUE_BYTES = 65_535;

/**
 * Why `text` cannot be stored under a limit of `maxBytes` UTF-8 bytes, or
 * null. Allocation-free: a string of at most maxBytes/3 UTF-16 units fits
 * whatever it holds, so only longer ones are measured.
 */
export function textProblem(text: string, maxBytes: number): "nul_byte" | "too_long" | null {
  if (text.length * 3 > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes) return "too_long";
  if (text.indexOf("\u0000") !== -1) return "nul_byte";
  return null;
}
