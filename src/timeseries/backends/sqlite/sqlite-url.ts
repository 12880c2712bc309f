import { ErrorCodes, TorusError, quote } from "../../errors.js";

/**
 * `sqlite:///relative.db` → `relative.db` (from the working directory),
 * `sqlite:////abs/path.db` → `/abs/path.db`, `sqlite:///:memory:` (or
 * `sqlite://`) → an in-memory database.
 */
export function sqlitePath(url: string, field = "host"): string {
  const m = /^sqlite:\/\/(\/?)(.*)$/i.exec(url);
  if (!m) throw new TorusError(ErrorCodes.BAD_URL, `${field}: ${quote(url)} is not a sqlite:// URL`, { field, value: url });
  const rest = m[2];
  if (m[1] === "" && rest === "") return ":memory:";
  if (m[1] === "" || rest === "") {
    throw new TorusError(ErrorCodes.BAD_URL, `${field}: ${quote(url)}: use sqlite:///relative.db, sqlite:////abs/path.db or sqlite:///:memory:`, {
      field,
      value: url,
    });
  }
  const path = rest.split("?")[0];
  return path === ":memory:" ? ":memory:" : decodeURIComponent(path);
}
