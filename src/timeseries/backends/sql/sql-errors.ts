import { StoreError } from "../../errors.js";

/** The password in a URL (as written and decoded), so it can be scrubbed from driver messages. */
export function secretsOf(url: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^/@]*)@/i.exec(url);
  if (!m || m[1] === "") return [];
  let decoded = m[1];
  try {
    decoded = decodeURIComponent(m[1]);
  } catch {
    // a malformed escape: the raw form is all there is
  }
  return decoded === m[1] ? [m[1]] : [m[1], decoded];
}

/**
 * A driver error as one line of text. Node reports a refused connection to a
 * host with several addresses as an AggregateError with an empty message, so
 * the inner errors (or the errno code) are used then.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let text = err.message;
  if (!text && err instanceof AggregateError) text = err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join("; ");
  if (!text) text = (err as { code?: string }).code ?? err.name;
  return text.trim().replace(/\s*\n\s*/g, "; ");
}

/**
 * Builds the StoreError for a failed operation: one line, naming the
 * redacted URL, with the password removed from whatever the driver said.
 */
export function storeError(url: string, secrets: readonly string[], what: string, err: unknown, retryable: boolean): StoreError {
  if (err instanceof StoreError) return err;
  let text = describeError(err);
  for (const s of secrets) text = text.split(s).join("***");
  return new StoreError(url, `${what}: ${text}`, { retryable, cause: err });
}
