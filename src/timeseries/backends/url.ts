import { ErrorCodes, TorusError, quote } from "../errors.js";

/** A storage URL with its password removed, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, auth: string) => {
    const colon = auth.indexOf(":");
    return colon === -1 ? `${scheme}${auth}@` : `${scheme}${auth.slice(0, colon)}:***@`;
  });
}

/** The scheme of a storage URL (`sqlite`, `redis`, ...), lower-cased. */
export function schemeOf(url: unknown, field = "host"): string {
  if (typeof url !== "string") {
    throw new TorusError(ErrorCodes.BAD_URL, `${field}: expected a storage URL, got ${quote(url)}`, { field, value: url });
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!m) {
    throw new TorusError(ErrorCodes.BAD_URL, `${field}: ${quote(redactUrl(url))} is not a storage URL (e.g. sqlite:///torus.db, redis://localhost:6379/0)`, {
      field,
      value: redactUrl(url),
    });
  }
  return m[1].toLowerCase();
}
