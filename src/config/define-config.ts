import type { IntervalSpec, TransformFn, TypeName } from "../timeseries/index.js";

/** A value read from the wire (text) or given to `/insert`. */
export type RawValue = string | number;

/** Where and how matching stats are stored (SPEC §2). */
export interface SchemaSpec {
  /** `count` (default), `histogram`, `series`, `gauge` or `set`. */
  type?: TypeName;
  /** Storage URL; default in-memory SQLite. */
  host?: string;
  /** Passed to the store's driver. */
  client_config?: Record<string, unknown>;
  /** Regular expressions searched anywhere in the stat name (unanchored, as in the seed). */
  match: string | RegExp | ReadonlyArray<string | RegExp>;
  intervals: Record<string, IntervalSpec>;
  /** Also write each point into this many intervals before (<0) or after (>0) its own. */
  rolling?: number;
  /**
   * Scopes tables/keys inside a shared store. Default: the schema's name, so
   * schemas sharing a store stay apart; the same prefix on two schemas shares
   * their rows on purpose; `""` reads data written before this default.
   */
  prefix?: string;
  /** Rename or rewrite a point; a null stat skips the write. */
  transform?: (stat: string, value: any) => readonly [string | null, any] | null | undefined;
  read_func?: (value: string) => unknown;
  write_func?: (value: any) => unknown;
  /** Makes one `[stat, value]` for `schema-test`. */
  generator?: () => readonly [string, unknown];
}

/** Named query options (seed MACROS): `name(stat)` runs the read with these. */
export interface MacroSpec {
  transform?: string | TransformFn | ReadonlyArray<string | TransformFn> | Record<string, string | TransformFn>;
  fetch?: (handle: unknown, key: { name: string; interval: string; bucket: number }) => unknown;
  process_row?: (data: any) => any;
  condense?: boolean | ((subs: Map<number, any>) => any);
  join_rows?: (rows: any[]) => any;
  collapse?: boolean | ((buckets: Map<number, any>) => any);
  format?: "graphite" | "json";
  schema?: string;
  interval?: string;
  start?: string | number;
  end?: string | number;
  steps?: number;
  /** `false`: never serve this macro's requests from the response cache (its functions read more than the store). */
  cache?: boolean;
}

/** Everything a configuration module may export, by the seed's names. */
export interface TorusConfig {
  SCHEMAS?: Record<string, SchemaSpec>;
  /** `[rollup, source]` pairs; `*` matches one component, `<name>` captures one. */
  AGGREGATES?: ReadonlyArray<readonly [string, string]>;
  TRANSFORMS?: Record<string, TransformFn>;
  MACROS?: Record<string, MacroSpec>;
  /** 0/false: errors; 1/true: STOR, AGRT, DONE; 2: also RECV and SKIP. */
  DEBUG?: 0 | 1 | 2 | boolean;
  on_load?: () => unknown;
  on_reload?: () => unknown;
  /** karbon: milliseconds between flushes (0 = write through). Default 500. */
  FLUSH_INTERVAL?: number;
  /** karbon: rows buffered per store before sockets are paused. Default 2,000,000. */
  BUFFER_MAX_ROWS?: number;
  /** karbon: longest accepted line in bytes. Default 4096. */
  MAX_LINE_LENGTH?: number;
  /** karbon: memory for plaintext names known by their bytes, in MB; past it new names are read as strings until the next flush. Default 64. */
  NAME_TABLE_MB?: number;
  /** karbon: longest pickle frame in bytes (`--pickle`); a longer one closes its connection, unread. Default 1,048,576 (carbon's PICKLE_RECEIVER_MAX_LENGTH). */
  MAX_PICKLE_FRAME?: number;
  /** karbon: directory of the disk spool that keeps batches while a store is down, across restarts (one subdirectory per store). Default: none, no spool. */
  SPOOL_DIR?: string | null;
  /** karbon: seconds a store must have been failing before its batches go to the spool (they also go once the buffer is past half of BUFFER_MAX_ROWS). Default 5. */
  SPOOL_AFTER?: number;
  /** karbon: most megabytes the spool holds per store and process; past it batches stay in memory (then backpressure). Default 1024. */
  SPOOL_MAX_MB?: number;
  /** karbon: seconds a TCP connection may send nothing before it is closed (0 = never). Default 300. */
  TCP_IDLE_TIMEOUT?: number;
  /**
   * karbon: seconds, on shutdown, that open TCP connections may finish: each is half-closed and read
   * until its sender closes its side; still open after this, dropped. 0 = drop at once. Default 5.
   */
  TCP_DRAIN_TIMEOUT?: number;
  /** karbon: most open TCP connections (per process); more are refused and counted. Default 1024. */
  MAX_CONNECTIONS?: number;
  /** torus: bearer token required by `/insert` and `DELETE /series`. */
  WRITE_TOKEN?: string;
  /** torus: most buckets one request may read (stat names × buckets, summed over its stats). Default 100,000. */
  MAX_BUCKETS?: number;
  /** torus: IANA time zone for dates without one (default UTC). */
  TIMEZONE?: string;
  /** torus: `/series` responses kept in the response cache (0 disables). Default 10,000. */
  QUERY_CACHE?: number;
  /** torus: most megabytes of response text the cache keeps. Default 64. */
  QUERY_CACHE_MB?: number;
  /** torus: most megabytes of recent points the Graphite API keeps in memory per process (0 disables). Default 256. */
  POINT_WINDOW_MB?: number;
  /** torus: most stat names one `/series` request reads (each name of a join counts). Default 100. */
  MAX_STATS?: number;
  /** torus: most series names one `/render` request matches, summed over its targets. Default 10,000. */
  RENDER_MAX_SERIES?: number;
  /** torus: most points one `/render` request reads or makes in functions (8 bytes each), summed over its targets. Default 20,000,000. */
  RENDER_MAX_POINTS?: number;
  /** torus: most megabytes of one `/series` response. Default 32. */
  MAX_RESPONSE_MB?: number;
  /** torus: most parameters in one query string or request body. Default 1,000. */
  MAX_PARAMS?: number;
  /** torus: seconds a query waits for its stores before answering 503. Default 5. */
  QUERY_TIMEOUT?: number;
  /** torus and karbon's metrics port: seconds for a whole request (headers and body) to arrive. Default 30. */
  HTTP_REQUEST_TIMEOUT?: number;
  /** torus and karbon's metrics port: seconds a silent connection stays open. Default 60. */
  HTTP_IDLE_TIMEOUT?: number;
  /** torus and karbon's metrics port: seconds an idle keep-alive connection stays open between requests. Default 5. */
  HTTP_KEEP_ALIVE_TIMEOUT?: number;
  /** torus and karbon's metrics port: connections open at once, per process. Default 1,024. */
  HTTP_MAX_CONNECTIONS?: number;
  /** torus: also accept `GET /insert` (old clients; any web page can make a browser send a GET). Default false. */
  ALLOW_GET_INSERT?: boolean;
  /** torus: origins whose pages may call write endpoints from a browser (`"https://host[:port]"`, or `"*"`). Default none. */
  ALLOWED_ORIGINS?: readonly string[];
  /** torus: believe `X-Forwarded-For` from anyone (true), from these proxy addresses, or nobody (false, default). */
  TRUST_PROXY?: boolean | readonly string[];
  /** torus: most names one `/list` answer carries (then it pages). Default 10,000. */
  LIST_LIMIT?: number;
  /** torus: most names one `/metrics/find` or `/metrics/expand` walks; more are left out of the answer. Default 100,000. */
  FIND_LIMIT?: number;
  /** karbon and `/insert`: seconds ahead of now a timestamp may be. Default 86,400 (a day). */
  MAX_FUTURE?: number;
  /** karbon and `/insert`: seconds behind now a timestamp may be; null: no bound. Default: the longest retention (step × steps) of the configured intervals, no bound if one keeps everything. */
  MAX_PAST?: number | null;
  /** torus: path the Graphite API is served under (`/graphite`: `/graphite/render`, …), as graphite-web's URL_PREFIX. Default none. */
  URL_PREFIX?: string;
  /** torus: karbon's `--metrics` address (`http://127.0.0.1:9108`), read for the web explorer's status panel when karbon runs in another process. Default none (`torus start` reads its own karbon). */
  KARBON_METRICS_URL?: string | null;
  /** torus: store URL (as a schema's `host`) that keeps Graphite events (`/events`, Grafana annotations). Default: the first schema's store. */
  EVENTS?: string;
}

/** Identity with types: `export default defineConfig({ SCHEMAS: {...} })`. */
export function defineConfig<const T extends TorusConfig>(config: T): T {
  return config;
}
