import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { HttpLimits } from "../config/index.js";

/** What a proxy-less deployment survives when the configuration says nothing (see README, Limits and hardening). */
export const DEFAULT_HTTP_LIMITS: HttpLimits = { requestTimeoutMs: 30_000, idleTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024 };

/**
 * A Fastify `serverFactory` for an `http.Server` with every socket bounded:
 * a request (headers and body) must arrive within `requestTimeoutMs` (Node
 * answers 408 and closes), a silent socket closes after `idleTimeoutMs`, an
 * idle keep-alive one after `keepAliveTimeoutMs`, and connections past
 * `maxConnections` are closed as they are accepted (`onDrop` counts them).
 * Node checks request deadlines on an interval (30 s by default, longer
 * than many bounds): it is tightened to a quarter of the bound.
 */
export function boundedServerFactory(limits: HttpLimits, onDrop: () => void = () => {}) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const server = createServer(
      {
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(limits.requestTimeoutMs / 4))),
      },
      handler,
    );
    server.setTimeout(limits.idleTimeoutMs);
    server.maxConnections = limits.maxConnections;
    server.on("drop", onDrop);
    return server;
  };
}
