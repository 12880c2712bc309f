import { z } from "zod";

/**
 * The structural shape of a configuration module's exports. Semantic checks
 * (intervals, regular expressions, URLs) follow in `compileConfig`, where
 * messages can name the schema and the field.
 */
const fn = z.custom<(...args: any[]) => any>((v) => typeof v === "function", { message: "expected a function" });
const pattern = z.union([z.string(), z.instanceof(RegExp)]);
/** A duration in seconds: positive, fractions allowed, at most a day (a bigger bound is no bound). */
const seconds = z.number().positive().max(86_400);

export const intervalShape = z
  .object({
    step: z.union([z.number(), z.string()]),
    steps: z.number().nullish(),
    resolution: z.union([z.number(), z.string()]).nullish(),
  })
  .strict();

export const schemaShape = z
  .object({
    type: z.string().optional(),
    host: z.string().optional(),
    client_config: z.record(z.string(), z.unknown()).optional(),
    match: z.union([pattern, z.array(pattern).min(1)]),
    intervals: z.record(z.string(), z.unknown()),
    rolling: z.number().int().optional(),
    prefix: z.string().optional(),
    transform: fn.optional(),
    read_func: fn.nullish(),
    write_func: fn.nullish(),
    generator: fn.optional(),
  })
  .strict();

export const configShape = z
  .object({
    SCHEMAS: z.record(z.string(), z.unknown()).optional(),
    AGGREGATES: z.array(z.tuple([z.string().min(1), z.string().min(1)])).optional(),
    TRANSFORMS: z.record(z.string(), fn).optional(),
    MACROS: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    DEBUG: z.union([z.boolean(), z.literal(0), z.literal(1), z.literal(2)]).optional(),
    on_load: fn.optional(),
    on_reload: fn.optional(),
    FLUSH_INTERVAL: z.number().int().min(0).optional(),
    BUFFER_MAX_ROWS: z.number().int().min(1000).optional(),
    MAX_LINE_LENGTH: z.number().int().min(16).optional(),
    NAME_TABLE_MB: z.number().min(0).max(65_536).optional(),
    MAX_PICKLE_FRAME: z.number().int().min(64).max(2 ** 31).optional(),
    SPOOL_DIR: z.string().min(1).nullable().optional(),
    SPOOL_AFTER: z.number().min(0).max(86_400).optional(),
    SPOOL_MAX_MB: z.number().min(1).max(16 * 1024 * 1024).optional(),
    TCP_IDLE_TIMEOUT: z.number().min(0).max(86_400).optional(),
    TCP_DRAIN_TIMEOUT: z.number().min(0).max(3_600).optional(),
    MAX_CONNECTIONS: z.number().int().min(1).max(1_000_000).optional(),
    WRITE_TOKEN: z.string().min(1).optional(),
    MAX_BUCKETS: z.number().int().min(1).optional(),
    TIMEZONE: z.string().min(1).optional(),
    QUERY_CACHE: z.number().int().min(0).optional(),
    QUERY_CACHE_MB: z.number().min(0).optional(),
    POINT_WINDOW_MB: z.number().min(0).optional(),
    MAX_STATS: z.number().int().min(1).optional(),
    RENDER_MAX_SERIES: z.number().int().min(1).optional(),
    RENDER_MAX_POINTS: z.number().int().min(1).optional(),
    MAX_RESPONSE_MB: z.number().positive().finite().optional(),
    MAX_PARAMS: z.number().int().min(1).optional(),
    QUERY_TIMEOUT: seconds.optional(),
    HTTP_REQUEST_TIMEOUT: seconds.optional(),
    HTTP_IDLE_TIMEOUT: seconds.optional(),
    HTTP_KEEP_ALIVE_TIMEOUT: seconds.optional(),
    HTTP_MAX_CONNECTIONS: z.number().int().min(1).optional(),
    ALLOW_GET_INSERT: z.boolean().optional(),
    ALLOWED_ORIGINS: z.array(z.string().min(1)).optional(),
    TRUST_PROXY: z.union([z.boolean(), z.array(z.string().min(1))]).optional(),
    LIST_LIMIT: z.number().int().min(1).optional(),
    FIND_LIMIT: z.number().int().min(1).optional(),
    MAX_FUTURE: z.number().int().min(0).optional(),
    MAX_PAST: z.number().int().min(1).nullable().optional(),
    URL_PREFIX: z.string().optional(),
    KARBON_METRICS_URL: z.string().nullable().optional(),
    EVENTS: z.string().min(1).optional(),
  })
  .passthrough();

/** `path: message` for the first issue of a failed parse, paths joined the way a user writes them. */
export function describeIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".").replace(/\.\[/g, "[");
  return { path, message: issue.message };
}
