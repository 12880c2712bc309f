import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Runtime } from "../../runtime/runtime.js";
import { QueryError, QueryErrorCodes } from "../query-error.js";

/** A browser page's origin is this server's own when it names the host the request was sent to. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // "null" (sandboxed pages, file://) and garbage
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Every write endpoint's gate, run on the headers alone (an `onRequest`
 * hook, before any body is read): GET only when ALLOW_GET_INSERT allows it,
 * no browser page of another origin, the write token. A refused request
 * that announced a body gets `Connection: close`, so its body is never
 * read at all. Any API's write route takes it as `{ onRequest: guard }`.
 */
export function writeGuard(runtime: () => Runtime): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (req, reply) => {
    const config = runtime().config;
    const refuse = (err: QueryError) => {
      if (req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined) reply.header("connection", "close");
      throw err;
    };
    if (req.method === "GET" && !config.allowGetInsert) {
      reply.header("allow", "POST");
      refuse(new QueryError(405, QueryErrorCodes.METHOD_NOT_ALLOWED, "GET /insert changes state, so it is POST-only (POST the same fields as a form or JSON; ALLOW_GET_INSERT: true serves old GET clients)"));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host) && !config.allowedOrigins.includes("*") && !config.allowedOrigins.includes(origin.toLowerCase())) {
      refuse(new QueryError(403, QueryErrorCodes.FORBIDDEN_ORIGIN, `a page of origin ${JSON.stringify(origin.slice(0, 120))} may not write here (list it in ALLOWED_ORIGINS)`));
    }
    const token = config.writeToken;
    if (token !== null && !tokenMatches(req.headers.authorization, token)) {
      reply.header("www-authenticate", 'Bearer realm="torus"');
      refuse(new QueryError(401, QueryErrorCodes.UNAUTHORIZED, "this write needs the configured WRITE_TOKEN as `Authorization: Bearer <token>`"));
    }
  };
}
