import {
  ErrorCodes,
  Interval,
  TorusError,
  checkStoreUrl,
  redactUrl,
  typeDef,
  type TimeseriesOptions,
  type TransformFn,
  type TypeName,
} from "../timeseries/index.js";
import { checkMacro } from "./check-macro.js";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { ConfigError, ConfigErrorCodes } from "./config-error.js";
import { configShape, describeIssue, intervalShape, schemaShape } from "./config-shape.js";
import type { MacroSpec, SchemaSpec, TorusConfig } from "./define-config.js";

export const DEFAULT_HOST = "sqlite:///:memory:";

/** One schema, checked and ready: matchers compiled, timeseries options validated. */
export interface CompiledSchema {
  readonly name: string;
  readonly type: TypeName;
  readonly host: string;
  readonly clientConfig: Record<string, unknown>;
  readonly matchers: readonly RegExp[];
  readonly rolling: number;
  readonly transform: SchemaSpec["transform"] | null;
  readonly generator: SchemaSpec["generator"] | null;
  /** Options for `new Timeseries(store, options)`. */
  readonly options: TimeseriesOptions;
  readonly spec: SchemaSpec;
  matches(stat: string): boolean;
}

/** One aggregate rule: an anchored pattern over dot-separated components and a rollup template. */
export interface CompiledAggregate {
  readonly rollup: string;
  readonly source: string;
  /** `rollup <- source`, for logs and metrics. */
  readonly label: string;
  /** The rollup name for `stat`, or null when the source pattern does not match. */
  apply(stat: string): string | null;
}

/** Bounds on one HTTP server's sockets, in milliseconds and connections. */
export interface HttpLimits {
  /** The whole request (headers and body) must arrive within this (408 and close otherwise). */
  readonly requestTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed. */
  readonly idleTimeoutMs: number;
  /** An idle keep-alive socket between requests is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Connections accepted at once; more are closed as they arrive. */
  readonly maxConnections: number;
}

export interface Config {
  readonly files: readonly string[];
  readonly schemas: readonly CompiledSchema[];
  readonly aggregates: readonly CompiledAggregate[];
  readonly transforms: Readonly<Record<string, TransformFn>>;
  readonly macros: Readonly<Record<string, MacroSpec>>;
  readonly debug: 0 | 1 | 2;
  readonly flushInterval: number;
  readonly bufferMaxRows: number;
  readonly maxLineLength: number;
  /** karbon: bytes of plaintext names known by their bytes (see NameTable). */
  readonly nameTableBytes: number;
  /** karbon: longest pickle frame in bytes; a longer length prefix closes the connection. */
  readonly maxPickleFrame: number;
  /** Absolute spool directory (`SPOOL_DIR`), null: no spool. */
  readonly spoolDir: string | null;
  readonly spoolAfterMs: number;
  readonly spoolMaxBytes: number;
  /** karbon: ms a TCP connection may stay silent (0 = no limit), and the most open at once. */
  readonly tcpIdleTimeoutMs: number;
  /** On shutdown, how long open TCP connections may finish sending (see TcpReceiver.close). */
  readonly tcpDrainTimeoutMs: number;
  readonly maxConnections: number;
  readonly writeToken: string | null;
  readonly maxBuckets: number;
  readonly timezone: string;
  /** `/series` response cache bounds: entries (0: off) and bytes. */
  readonly queryCache: number;
  readonly queryCacheBytes: number;
  /** POINT_WINDOW_MB in bytes: the Graphite API's in-memory window of points (0: read the stores every time). */
  readonly pointWindowBytes: number;
  /** Most stat names one `/series` request reads (MAX_STATS). */
  readonly maxStats: number;
  /** Most series names one `/render` request matches (RENDER_MAX_SERIES). */
  readonly renderMaxSeries: number;
  /** Most points one `/render` request reads or makes, summed over its targets (RENDER_MAX_POINTS). */
  readonly renderMaxPoints: number;
  /** Most bytes of one `/series` response (MAX_RESPONSE_MB). */
  readonly maxResponseBytes: number;
  /** torus: most parameters in a query string or body (MAX_PARAMS). */
  readonly maxParams: number;
  /** torus: how long a query waits for its stores before a 503 (QUERY_TIMEOUT), ms. */
  readonly queryTimeoutMs: number;
  /** Socket bounds of torus's HTTP port and karbon's metrics port (read when the server starts). */
  readonly http: HttpLimits;
  /** torus: serve state-changing GET /insert (ALLOW_GET_INSERT). */
  readonly allowGetInsert: boolean;
  /** torus: origins (`scheme://host[:port]`, or `*`) whose browser pages may call write endpoints. */
  readonly allowedOrigins: readonly string[];
  /** torus: whose X-Forwarded-For to believe: nobody, anybody, or these proxy addresses (TRUST_PROXY). */
  readonly trustProxy: boolean | readonly string[];
  /** torus: most names one `/list` answer carries (LIST_LIMIT). */
  readonly listLimit: number;
  /** torus: most names one `/metrics/find` or `/metrics/expand` walks (FIND_LIMIT). */
  readonly findLimit: number;
  /** Seconds ahead of / behind now a point's timestamp may be (`maxPast` null: no bound). */
  readonly maxFuture: number;
  readonly maxPast: number | null;
  /** torus: `""` or `/prefix`: where the Graphite API is served (URL_PREFIX). */
  readonly urlPrefix: string;
  /** torus: karbon's metrics port for the status panel (KARBON_METRICS_URL); null: karbon in this process, if any. */
  readonly karbonMetricsUrl: string | null;
  /** torus: the store keeping Graphite events (EVENTS, else the first schema's); `explicit` when EVENTS named it. Null: no store. */
  readonly events: { readonly host: string; readonly explicit: boolean } | null;
  readonly onLoad: ReadonlyArray<() => unknown>;
  readonly onReload: ReadonlyArray<() => unknown>;
}

const q = (v: unknown) => JSON.stringify(v);

function invalid(where: string, message: string, value?: unknown, cause?: unknown): never {
  throw new ConfigError(ConfigErrorCodes.INVALID, `${where}: ${message}`, { field: where, value, cause });
}

function compileMatchers(schema: string, match: SchemaSpec["match"]): RegExp[] {
  const list = Array.isArray(match) ? match : [match];
  return list.map((m: string | RegExp, i: number) => {
    if (m instanceof RegExp) return new RegExp(m.source, m.flags.replace(/[gy]/g, ""));
    try {
      return new RegExp(m);
    } catch (err) {
      return invalid(`schema ${q(schema)}: match${list.length > 1 ? `[${i}]` : ""}`, `${q(m)} is not a valid regular expression (${(err as Error).message})`, m, err);
    }
  });
}

function compileSchema(name: string, raw: unknown): CompiledSchema {
  const where = `schema ${q(name)}`;
  const parsed = schemaShape.safeParse(raw);
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error);
    invalid(`${where}${path ? `: ${path}` : ""}`, message);
  }
  const spec = parsed.data as SchemaSpec;
  const wrap = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof TorusError && !(err instanceof ConfigError)) {
        throw new ConfigError(err.code, err.message, { field: err.field, value: err.value, cause: err });
      }
      throw err;
    }
  };
  const type = wrap(() => typeDef(spec.type ?? "count", `${where}: type`)).name;
  const host = spec.host ?? DEFAULT_HOST;
  wrap(() => checkStoreUrl(host, `${where}: host`));
  if (Object.keys(spec.intervals).length === 0) invalid(`${where}: intervals`, "at least one interval is required");
  for (const [iname, ispec] of Object.entries(spec.intervals)) {
    const shape = intervalShape.safeParse(ispec);
    if (!shape.success) {
      const { path, message } = describeIssue(shape.error);
      invalid(`${where}: interval ${q(iname)}${path ? `: ${path}` : ""}`, message, ispec);
    }
    wrap(() => new Interval(iname, shape.data, `${where}: interval ${q(iname)}`));
  }
  const matchers = compileMatchers(name, spec.match);
  const options: TimeseriesOptions = {
    type,
    intervals: spec.intervals,
    // The schema's own namespace by default, so schemas sharing a store never see each other's names or data.
    prefix: spec.prefix ?? name,
    read_func: spec.read_func ?? null,
    write_func: spec.write_func ?? null,
    label: name,
  };
  return {
    name,
    type,
    host,
    clientConfig: spec.client_config ?? {},
    matchers,
    rolling: spec.rolling ?? 0,
    transform: spec.transform ?? null,
    generator: spec.generator ?? null,
    options,
    spec,
    matches: matchers.length === 1 ? (stat) => matchers[0].test(stat) : (stat) => matchers.some((m) => m.test(stat)),
  };
}

const COMPONENT = "[^.\\s]+";
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `*` matches one whole component, `<name>` matches and captures one;
 * anything else is literal. The whole name must match.
 */
export function compileAggregate(rollup: string, source: string, index = 0): CompiledAggregate {
  const where = `AGGREGATES[${index}]`;
  const captures: string[] = [];
  const parts = source.split(".").map((c) => {
    if (c === "") invalid(where, `source ${q(source)} has an empty component`, source);
    if (c === "*") return COMPONENT;
    const m = /^<([A-Za-z_][\w-]*)>$/.exec(c);
    if (m) {
      if (captures.includes(m[1])) invalid(where, `source ${q(source)} captures <${m[1]}> twice`, source);
      captures.push(m[1]);
      return `(${COMPONENT})`;
    }
    if (/\s/.test(c)) invalid(where, `source ${q(source)} has whitespace in a component`, source);
    return escapeRe(c);
  });
  const regex = new RegExp(`^${parts.join("\\.")}$`);
  // The rollup template: literal text with <name> holes filled from the captures.
  const pieces: Array<string | number> = [];
  let last = 0;
  for (const m of rollup.matchAll(/<([A-Za-z_][\w-]*)>/g)) {
    const idx = captures.indexOf(m[1]);
    if (idx === -1) invalid(where, `rollup ${q(rollup)} uses <${m[1]}>, which source ${q(source)} does not capture`, rollup);
    if (m.index > last) pieces.push(rollup.slice(last, m.index));
    pieces.push(idx + 1);
    last = m.index + m[0].length;
  }
  if (last < rollup.length) pieces.push(rollup.slice(last));
  const label = `${rollup} <- ${source}`;
  return {
    rollup,
    source,
    label,
    apply(stat) {
      const m = regex.exec(stat);
      if (!m) return null;
      let out = "";
      for (const p of pieces) out += typeof p === "number" ? m[p] : p;
      return out;
    },
  };
}

/** Seconds the longest-kept interval keeps (step × steps); null when some interval keeps everything, or there is none. */
function longestRetention(schemas: readonly CompiledSchema[]): number | null {
  let longest = 0;
  for (const s of schemas) {
    for (const [name, spec] of Object.entries(s.options.intervals)) {
      const iv = new Interval(name, spec);
      if (iv.steps === null) return null;
      longest = Math.max(longest, iv.steps * iv.step.seconds);
    }
  }
  return longest > 0 ? longest : null;
}

/** An ALLOWED_ORIGINS entry: `*`, or exactly an origin as browsers send it (no path, no trailing slash). */
function checkOrigin(origin: string, index: number): string {
  if (origin === "*") return origin;
  let parsed: URL | null = null;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = null;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.toLowerCase()) {
    invalid(`ALLOWED_ORIGINS[${index}]`, `${q(origin)} is not an origin (use scheme://host[:port], e.g. "https://grafana.example.com", or "*")`, origin);
  }
  return parsed.origin;
}

function debugLevel(d: TorusConfig["DEBUG"]): 0 | 1 | 2 {
  if (d === true) return 1;
  if (!d) return 0;
  return d;
}

/**
 * Check merged configuration exports and compile them. Every problem is a
 * ConfigError naming the schema (or export) and the field.
 */
export function compileConfig(exports: Record<string, unknown>, files: readonly string[] = [], hooks: { onLoad?: Array<() => unknown>; onReload?: Array<() => unknown> } = {}): Config {
  const parsed = configShape.safeParse(exports);
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error);
    invalid(path || "configuration", message);
  }
  const c = parsed.data as TorusConfig;
  const schemas = Object.entries(c.SCHEMAS ?? {}).map(([name, spec]) => compileSchema(name, spec));
  const aggregates = (c.AGGREGATES ?? []).map(([rollup, source], i) => compileAggregate(rollup, source, i));
  for (const [name, macro] of Object.entries(c.MACROS ?? {})) {
    for (const field of ["fetch", "process_row", "join_rows"] as const) {
      const v = (macro as Record<string, unknown>)[field];
      if (v !== undefined && typeof v !== "function") invalid(`macro ${q(name)}: ${field}`, "expected a function", v);
    }
    const cache = (macro as Record<string, unknown>).cache;
    if (cache !== undefined && typeof cache !== "boolean") invalid(`macro ${q(name)}: cache`, "expected true or false", cache);
    checkMacro(name, macro as Record<string, unknown>, schemas.map((s) => ({ name: s.name, intervals: Object.keys(s.spec.intervals) })), c.TRANSFORMS ?? {});
  }
  if (c.TIMEZONE) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: c.TIMEZONE });
    } catch {
      invalid("TIMEZONE", `${q(c.TIMEZONE)} is not an IANA time zone (e.g. UTC, Europe/Paris)`, c.TIMEZONE);
    }
  }
  const allowedOrigins = (c.ALLOWED_ORIGINS ?? []).map((o, i) => checkOrigin(o, i));
  if (Array.isArray(c.TRUST_PROXY)) c.TRUST_PROXY.forEach((a, i) => isIP(a) || invalid(`TRUST_PROXY[${i}]`, `${q(a)} is not an IP address (list the proxies' addresses, or use true/false)`, a));
  return {
    files,
    schemas,
    aggregates,
    transforms: c.TRANSFORMS ?? {},
    macros: (c.MACROS ?? {}) as Record<string, MacroSpec>,
    debug: debugLevel(c.DEBUG),
    flushInterval: c.FLUSH_INTERVAL ?? 500,
    bufferMaxRows: c.BUFFER_MAX_ROWS ?? 2_000_000,
    maxLineLength: c.MAX_LINE_LENGTH ?? 4096,
    maxPickleFrame: c.MAX_PICKLE_FRAME ?? 1_048_576,
    spoolDir: c.SPOOL_DIR ? resolve(c.SPOOL_DIR) : null,
    spoolAfterMs: Math.round((c.SPOOL_AFTER ?? 5) * 1000),
    spoolMaxBytes: Math.round((c.SPOOL_MAX_MB ?? 1024) * 1024 * 1024),
    nameTableBytes: Math.round((c.NAME_TABLE_MB ?? 64) * 2 ** 20),
    tcpIdleTimeoutMs: Math.round((c.TCP_IDLE_TIMEOUT ?? 300) * 1000),
    tcpDrainTimeoutMs: Math.round((c.TCP_DRAIN_TIMEOUT ?? 5) * 1000),
    maxConnections: c.MAX_CONNECTIONS ?? 1024,
    writeToken: c.WRITE_TOKEN ?? null,
    maxBuckets: c.MAX_BUCKETS ?? 100_000,
    timezone: c.TIMEZONE ?? "UTC",
    queryCache: c.QUERY_CACHE ?? 10_000,
    queryCacheBytes: Math.round((c.QUERY_CACHE_MB ?? 64) * 1024 * 1024),
    pointWindowBytes: Math.round((c.POINT_WINDOW_MB ?? 256) * 1024 * 1024),
    maxStats: c.MAX_STATS ?? 100,
    renderMaxSeries: c.RENDER_MAX_SERIES ?? 10_000,
    renderMaxPoints: c.RENDER_MAX_POINTS ?? 20_000_000,
    maxResponseBytes: Math.round((c.MAX_RESPONSE_MB ?? 32) * 1024 * 1024),
    maxParams: c.MAX_PARAMS ?? 1000,
    queryTimeoutMs: Math.round((c.QUERY_TIMEOUT ?? 5) * 1000),
    http: {
      requestTimeoutMs: Math.round((c.HTTP_REQUEST_TIMEOUT ?? 30) * 1000),
      idleTimeoutMs: Math.round((c.HTTP_IDLE_TIMEOUT ?? 60) * 1000),
      keepAliveTimeoutMs: Math.round((c.HTTP_KEEP_ALIVE_TIMEOUT ?? 5) * 1000),
      maxConnections: c.HTTP_MAX_CONNECTIONS ?? 1024,
    },
    allowGetInsert: c.ALLOW_GET_INSERT ?? false,
    allowedOrigins,
    trustProxy: c.TRUST_PROXY ?? false,
    listLimit: c.LIST_LIMIT ?? 10_000,
    findLimit: c.FIND_LIMIT ?? 100_000,
    maxFuture: c.MAX_FUTURE ?? 86_400,
    maxPast: c.MAX_PAST === undefined ? longestRetention(schemas) : c.MAX_PAST,
    urlPrefix: urlPrefix(c.URL_PREFIX),
    karbonMetricsUrl: karbonMetricsUrl(c.KARBON_METRICS_URL),
    events: eventsStore(c.EVENTS, schemas),
    onLoad: hooks.onLoad ?? (c.on_load ? [c.on_load] : []),
    onReload: hooks.onReload ?? (c.on_reload ? [c.on_reload] : []),
  };
}

/** EVENTS, checked like a schema's host; without it the first schema's store. */
function eventsStore(value: string | undefined, schemas: readonly CompiledSchema[]): Config["events"] {
  if (value === undefined) return schemas.length === 0 ? null : { host: schemas[0].host, explicit: false };
  let scheme: string;
  try {
    scheme = checkStoreUrl(value, "EVENTS");
  } catch (err) {
    if (err instanceof TorusError) throw new ConfigError(err.code, err.message, { field: "EVENTS", value: err.value, cause: err });
    throw err;
  }
  // A relay forwards points and keeps nothing, so it cannot keep events either.
  if (scheme.startsWith("carbon")) invalid("EVENTS", `${q(redactUrl(value))} is a Carbon relay, which keeps no events (use a sqlite, redis, redis-cluster, postgresql or mysql URL)`, redactUrl(value));
  return { host: value, explicit: true };
}

/** `graphite/`, `/graphite` and `/graphite/` are all `/graphite`; empty or `/` is none. Only URL path characters. */
function urlPrefix(value: string | undefined): string {
  const trimmed = (value ?? "").replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  if (!/^[A-Za-z0-9._~!$&'()*+,;=:@%/-]+$/.test(trimmed) || trimmed.includes("//")) {
    invalid("URL_PREFIX", `${q(value)} is not a URL path (e.g. "/graphite")`, value);
  }
  return `/${trimmed}`;
}

/** An http(s) URL without query or fragment; empty is none. */
function karbonMetricsUrl(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value.trim() === "") return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    invalid("KARBON_METRICS_URL", `${q(value)} is not a URL (e.g. "http://127.0.0.1:9108", karbon's --metrics address)`, value);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "" || url.hash !== "") invalid("KARBON_METRICS_URL", `${q(value)}: use an http:// or https:// address without query or fragment (karbon's --metrics address)`, value);
  return url.href.replace(/\/+$/, "");
}

export { ErrorCodes };
