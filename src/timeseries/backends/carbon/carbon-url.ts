import { ErrorCodes, TorusError, quote } from "../../errors.js";
import type { RelayProtocol } from "./wire-encode.js";

/** Where a relay sends and how, from `carbon://host:port` or `carbon+pickle://host:port` and the schema's `client_config`. */
export interface RelayTarget {
  readonly protocol: RelayProtocol;
  readonly host: string;
  readonly port: number;
  /** Most points held (waiting or written and not yet counted sent); past it, writes wait, then fail retryably. */
  readonly maxQueue: number;
  readonly batchPoints: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly confirmMs: number;
  /** How long a write waits for room in a full queue before it fails (retryably: karbon keeps the batch). */
  readonly writeWaitMs: number;
  /** How long `close` keeps sending what is queued. */
  readonly closeTimeoutMs: number;
  /** Seconds a count, histogram or set bucket's running value is kept after its last point. */
  readonly bucketHorizon: number;
  readonly maxOpenBuckets: number;
}

const DEFAULT_PORTS: Record<RelayProtocol, number> = { plaintext: 2003, pickle: 2004 };

const OPTIONS = {
  max_queue: { key: "maxQueue", def: 500_000, min: 1 },
  batch_points: { key: "batchPoints", def: 500, min: 1 },
  backoff_min_ms: { key: "backoffMinMs", def: 100, min: 1 },
  backoff_max_ms: { key: "backoffMaxMs", def: 30_000, min: 1 },
  confirm_ms: { key: "confirmMs", def: 1_000, min: 0 },
  write_wait_ms: { key: "writeWaitMs", def: 1_000, min: 0 },
  close_timeout_ms: { key: "closeTimeoutMs", def: 10_000, min: 0 },
  bucket_horizon: { key: "bucketHorizon", def: 3_600, min: 0 },
  max_open_buckets: { key: "maxOpenBuckets", def: 1_000_000, min: 0 },
} as const;

export const RELAY_OPTIONS = Object.keys(OPTIONS);

export function parseRelayUrl(url: string, clientConfig: Record<string, unknown>): RelayTarget {
  const bad = (why: string) => new TorusError(ErrorCodes.BAD_URL, `relay URL ${quote(url)}: ${why} (e.g. carbon://127.0.0.1:2003 or carbon+pickle://127.0.0.1:2004)`, { field: "host", value: url });
  const m = /^(carbon|carbon\+pickle):\/\/(\[[^\]]+\]|[^/:?#@]+)(?::(\d+))?\/?$/i.exec(url);
  if (!m) throw bad("expected scheme://host:port and nothing else");
  const protocol: RelayProtocol = m[1].toLowerCase() === "carbon" ? "plaintext" : "pickle";
  const port = m[3] === undefined ? DEFAULT_PORTS[protocol] : Number(m[3]);
  if (!(port > 0 && port < 65_536)) throw bad(`port ${m[3]} is out of range`);
  const out: Record<string, unknown> = { protocol, host: m[2].replace(/^\[|\]$/g, ""), port };
  for (const [name, { key, def, min }] of Object.entries(OPTIONS)) {
    const v = clientConfig[name];
    if (v === undefined) {
      out[key] = def;
      continue;
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new TorusError(ErrorCodes.BAD_OPTION, `client_config.${name} of ${quote(url)}: expected a whole number of at least ${min}, got ${quote(v)}`, { field: `client_config.${name}`, value: v });
    }
    out[key] = v;
  }
  for (const name of Object.keys(clientConfig)) {
    if (!(name in OPTIONS)) {
      throw new TorusError(ErrorCodes.BAD_OPTION, `client_config.${name} of ${quote(url)}: not a relay option (have ${RELAY_OPTIONS.join(", ")})`, { field: `client_config.${name}`, value: clientConfig[name] });
    }
  }
  return out as unknown as RelayTarget;
}
