import type { FastifyInstance } from "fastify";
import { QueryError, QueryErrorCodes } from "../query-error.js";
import { OVER_LIMIT, parseParams } from "./form-params.js";
import type { Params } from "./params.js";

/** A form or JSON body, or a query string, with more parameters than MAX_PARAMS (400). */
export function tooManyParams(where: string, count: number, max: number): QueryError {
  return new QueryError(400, QueryErrorCodes.TOO_MANY_PARAMETERS, `the ${where} has ${count} parameters, more than the configured maximum of ${max} (MAX_PARAMS)`);
}

/** POST bodies: a form is parsed like a query string (and bounded the same way); plain text is one `value`. */
export function addBodyParsers(app: FastifyInstance, maxParams: () => number): void {
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    const parsed = parseParams(body as string, maxParams());
    if (parsed[OVER_LIMIT] !== undefined) return done(tooManyParams("body", parsed[OVER_LIMIT]!, maxParams()), undefined);
    done(null, parsed);
  });
  app.addContentTypeParser("text/plain", { parseAs: "string" }, (_req, body, done) => done(null, { value: body as string }));
}

/** A parsed body as parameters (none unless it is an object). JSON may carry numbers (`{"value": 3}`); parameters are text like the query string's, and as many. */
export function bodyParams(body: unknown, max: number): Params {
  if (!body || typeof body !== "object" || Array.isArray(body)) return {};
  const entries = Object.entries(body as Record<string, unknown>);
  let n = 0;
  for (const [, v] of entries) n += Array.isArray(v) ? v.length : 1;
  if (n > max) throw tooManyParams("body", n, max);
  const out: Params = Object.create(null);
  for (const [k, v] of entries) {
    if (v === null || v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}
