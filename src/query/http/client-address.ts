import type { FastifyRequest } from "fastify";

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
const plainAddress = (a: string) => (a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a);

/**
 * The client a log line names. `X-Forwarded-For` is anyone's to write, so it
 * is believed only as TRUST_PROXY says: `false` (default) names the TCP
 * peer; `true` the header's first hop whoever sent it (every peer is a
 * proxy); a list of proxy addresses the rightmost hop that is not one of
 * them, and only when the peer is one of them.
 */
export function clientOf(req: FastifyRequest, trust: boolean | readonly string[] = false): string {
  const peer = req.socket?.remoteAddress ? plainAddress(req.socket.remoteAddress) : "-";
  if (trust === false) return peer;
  const xff = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(xff) ? xff.join(",") : (xff ?? "")).split(",").map((h) => h.trim()).filter((h) => h !== "");
  if (hops.length === 0) return peer;
  // A header is not an address: keep a forged 8 KB one out of the log.
  const cut = (h: string) => (h.length > 64 ? `${h.slice(0, 61)}...` : h);
  if (trust === true) return cut(hops[0]);
  const proxies = trust.map(plainAddress);
  if (!proxies.includes(peer)) return peer;
  for (let i = hops.length - 1; i >= 0; i--) if (!proxies.includes(plainAddress(hops[i]))) return cut(hops[i]);
  return cut(hops[0]);
}
