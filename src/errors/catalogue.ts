/**
 * Every stable error code Torus gives, in one table: what it means and the
 * usual fix. Codes are part of the interface (clients match on them, metrics
 * are labelled by them), so a value never changes once released; a new
 * failure gets a new row. This module imports nothing, so the storage
 * library, the configuration, both servers and the tools can all name their
 * codes from it. `docs/errors.md` is generated from this table
 * (`renderErrorsDoc` in errors-doc.ts) and a test keeps the two equal.
 */

/** Which part of Torus raises the code. */
export type ErrorArea = "library" | "config" | "query" | "graphite" | "cli" | "tools";

export interface ErrorEntry {
  readonly area: ErrorArea;
  /** What went wrong, in a sentence. */
  readonly meaning: string;
  /** What usually fixes it. */
  readonly fix: string;
}

export const ERROR_CATALOGUE = {
  // The storage library (src/timeseries): schema options, values, reads, stores.
  TORUS_ERR_BAD_TYPE: {
    area: "library",
    meaning: "A schema names a type the library does not have (or a tool cannot handle it).",
    fix: "Use one of count, gauge, histogram, series, set.",
  },
  TORUS_ERR_BAD_INTERVAL: {
    area: "library",
    meaning: "An interval's definition cannot be read: no intervals, a step that is not a duration or calendar name, a malformed `{ step, steps, resolution }`.",
    fix: "Give each schema at least one interval with a `step` such as `60`, `\"1h\"` or `\"daily\"`.",
  },
  TORUS_ERR_BAD_RESOLUTION: {
    area: "library",
    meaning: "An interval's `resolution` cannot be read, or does not divide its step.",
    fix: "Make the resolution a duration shorter than the step that divides it evenly (e.g. step `1h`, resolution `60`).",
  },
  TORUS_ERR_BAD_STEPS: {
    area: "library",
    meaning: "A number of steps (buckets) that is not a positive whole number.",
    fix: "Pass `steps` as a whole number of 1 or more.",
  },
  TORUS_ERR_BAD_VALUE: {
    area: "library",
    meaning: "A value the schema's type cannot store (not a finite number for a count or gauge, a name or member too long, a NUL byte).",
    fix: "Send a value of the schema's type; the message names the value and why it was refused.",
  },
  TORUS_ERR_BAD_OPTION: {
    area: "library",
    meaning: "An option of a schema, read or tool that is of the wrong kind (a timestamp that is not a number, a prefix that is not text, a flag that contradicts another).",
    fix: "Correct the option the message names; it quotes the value given.",
  },
  TORUS_ERR_BAD_URL: {
    area: "library",
    meaning: "A store URL (`host`) that cannot be parsed for its scheme.",
    fix: "Write it as the README's store table shows, e.g. `sqlite:///data.db`, `redis://127.0.0.1:6379/0`, `postgresql://user@host/db`.",
  },
  TORUS_ERR_UNSUPPORTED_URL: {
    area: "library",
    meaning: "A store URL whose scheme no backend serves.",
    fix: "Use sqlite://, redis://, redis-cluster://, postgresql:// or mysql:// to store, carbon:// or carbon+pickle:// to relay.",
  },
  TORUS_ERR_UNKNOWN_INTERVAL: {
    area: "library",
    meaning: "A read names an interval the schema does not have.",
    fix: "Use one of the intervals the message lists for the schema, or omit `interval` to read the first.",
  },
  TORUS_ERR_UNKNOWN_TRANSFORM: {
    area: "library",
    meaning: "A read names a transform that is neither built in nor a function.",
    fix: "Use a built-in transform (the message lists them) or define it under TRANSFORMS in the configuration.",
  },
  TORUS_ERR_STORE: {
    area: "library",
    meaning: "A store failed: down, unreachable, slow, or it refused a write or a read.",
    fix: "Check that the store named in the server log is running and reachable with the configured URL and credentials; ingest keeps retryable batches and retries.",
  },
  TORUS_ERR_RELAY_READ: {
    area: "library",
    meaning: "400: a read (`/series`, `/list`, `/properties`, a delete) of a schema whose store is a relay (`carbon://`, `carbon+pickle://`): its points are forwarded to Carbon, not kept.",
    fix: "Read the points from the Carbon host the schema relays to, or ask another schema (`schema=`) that stores them.",
  },

  // The configuration (src/config).
  TORUS_ERR_CONFIG_LOAD: {
    area: "config",
    meaning: "A configuration file cannot be loaded: no such file, an extension that is not a module, or the module threw while loading.",
    fix: "Pass an existing .ts, .mts, .js, .mjs or .cjs file with --config; the message gives the loader's first line.",
  },
  TORUS_ERR_CONFIG_INVALID: {
    area: "config",
    meaning: "A configuration loaded but a setting is invalid; the message names the file, the schema and the field.",
    fix: "Correct the field the message names (README \"Configuration\" lists each setting and its form).",
  },
  TORUS_ERR_SPOOL_DIR: {
    area: "config",
    meaning: "karbon cannot use `SPOOL_DIR`: the directory (or a store's spool under it) cannot be created, read or written.",
    fix: "Make the directory writable by the user karbon runs as, or point `SPOOL_DIR` at one that is (or unset it to run without a spool).",
  },

  // The query server's own answers (src/query), each with its HTTP status.
  TORUS_ERR_QUERY_MISSING_PARAMETER: {
    area: "query",
    meaning: "400: a required parameter (e.g. `stat`, `value`) is missing or empty.",
    fix: "Add the parameter the message names.",
  },
  TORUS_ERR_QUERY_BAD_PARAMETER: {
    area: "query",
    meaning: "400: a parameter's value cannot be used (not a boolean, not one of the accepted choices, given twice, a stat name too long, a limit out of range).",
    fix: "Correct the parameter the message names; it quotes the value and says what is accepted.",
  },
  TORUS_ERR_QUERY_BAD_TIME: {
    area: "query",
    meaning: "400: `start`, `end` or `timestamp` is not a time Torus can read.",
    fix: "Use a Unix timestamp, an ISO 8601 date, a relative time such as `-1h`, or a phrase such as `yesterday noon`.",
  },
  TORUS_ERR_QUERY_UNKNOWN_FUNCTION: {
    area: "query",
    meaning: "400: a stat expression `f(name)` names a function that is not a built-in transform, a TRANSFORMS entry or a MACROS entry.",
    fix: "Use one of the functions the message lists, or define it in the configuration.",
  },
  TORUS_ERR_QUERY_TOO_MANY_BUCKETS: {
    area: "query",
    meaning: "400: the request reads more buckets (names × buckets, summed over its stats) than MAX_BUCKETS.",
    fix: "Ask for fewer stats, fewer steps, a shorter range or a coarser interval, or raise MAX_BUCKETS.",
  },
  TORUS_ERR_QUERY_UNKNOWN_SCHEMA: {
    area: "query",
    meaning: "404: `schema` names no configured schema.",
    fix: "Use one of the schema names the message lists.",
  },
  TORUS_ERR_QUERY_UNKNOWN_COMMAND: {
    area: "query",
    meaning: "404: no endpoint serves this method and path.",
    fix: "Use one of the endpoints the message lists.",
  },
  TORUS_ERR_QUERY_UNAUTHORIZED: {
    area: "query",
    meaning: "401: a write (`/insert`, `DELETE /series`) without the configured WRITE_TOKEN.",
    fix: "Send `Authorization: Bearer <WRITE_TOKEN>`.",
  },
  TORUS_ERR_QUERY_NOT_WRITABLE: {
    area: "query",
    meaning: "404: `/insert` on a server built without a write path.",
    fix: "Send writes to `torus` or `torus start`, which have one, or to karbon's Carbon port.",
  },
  TORUS_ERR_QUERY_INTERNAL: {
    area: "query",
    meaning: "500: something failed on the server's side that is not a store failure (a configured function threw, a bug).",
    fix: "Find the request id from the message in the server log, which has the details.",
  },
  TORUS_ERR_QUERY_TOO_MANY_STATS: {
    area: "query",
    meaning: "400: the request reads more stat names (each name of a join counts) than MAX_STATS.",
    fix: "Split the request, or raise MAX_STATS.",
  },
  TORUS_ERR_QUERY_RESPONSE_TOO_LARGE: {
    area: "query",
    meaning: "400: the answer would be larger than MAX_RESPONSE_MB.",
    fix: "Ask for fewer stats, fewer steps, `collapse=true` or a coarser interval, or raise MAX_RESPONSE_MB.",
  },
  TORUS_ERR_QUERY_TOO_MANY_PARAMETERS: {
    area: "query",
    meaning: "400: the query string or body holds more parameters than MAX_PARAMS.",
    fix: "Send fewer parameters per request, or raise MAX_PARAMS.",
  },
  TORUS_ERR_QUERY_STORE_TIMEOUT: {
    area: "query",
    meaning: "503: a store did not answer within QUERY_TIMEOUT.",
    fix: "Check the store's load and reachability; retry; raise QUERY_TIMEOUT if the store is slow by nature.",
  },
  TORUS_ERR_QUERY_FORBIDDEN_ORIGIN: {
    area: "query",
    meaning: "403: a browser page of another origin called a write endpoint.",
    fix: "List the page's origin in ALLOWED_ORIGINS.",
  },
  TORUS_ERR_QUERY_METHOD_NOT_ALLOWED: {
    area: "query",
    meaning: "405: `GET /insert`, which changes state, while ALLOW_GET_INSERT is off.",
    fix: "POST the same fields as a form or JSON, or set ALLOW_GET_INSERT: true for old GET clients.",
  },
  TORUS_ERR_QUERY_BAD_EVENT: {
    area: "query",
    meaning: "400: a `POST /events/` body that is not an event: not a JSON object, no `what`, a `when` that is not a number of seconds, `tags` neither a list nor a string, or a field too long.",
    fix: "Send a JSON object such as `{\"what\": \"deploy\", \"tags\": [\"prod\"], \"when\": 1700000000, \"data\": \"v1.2\"}`; the message names the field.",
  },
  TORUS_ERR_QUERY_UNKNOWN_EVENT: {
    area: "query",
    meaning: "404: `GET` or `DELETE /events/<id>` of an id no stored event has (never stored, or deleted).",
    fix: "Find the id with `GET /events/get_data?from=...`.",
  },
  TORUS_ERR_QUERY_NO_EVENTS: {
    area: "query",
    meaning: "404: the `/events` endpoints while no store keeps events (no schema, or the first schema's store is a Carbon relay).",
    fix: "Set EVENTS to a sqlite, redis, redis-cluster, postgresql or mysql URL.",
  },
  TORUS_ERR_QUERY_BODY_TOO_LARGE: {
    area: "query",
    meaning: "413: a request body over the endpoint's limit (1 MiB for `POST /events/`).",
    fix: "Send less: keep an event's `data` short (a link rather than a log).",
  },

  // The Graphite render API (src/graphite).
  TORUS_ERR_GRAPHITE_BAD_TARGET: {
    area: "graphite",
    meaning: "A `target` that cannot be parsed; the message quotes it with a caret under the first character that could not be read.",
    fix: "Correct the target at the position shown (unbalanced parentheses, a stray character, an unterminated string).",
  },
  TORUS_ERR_GRAPHITE_TARGET_TOO_LONG: {
    area: "graphite",
    meaning: "A `target` longer than the parser accepts (64 KB by default).",
    fix: "Use wildcards or fewer alternatives instead of listing every series.",
  },
  TORUS_ERR_GRAPHITE_TARGET_TOO_DEEP: {
    area: "graphite",
    meaning: "A `target` whose calls or brace groups nest deeper than the parser accepts (100 levels by default).",
    fix: "Nest fewer calls.",
  },
  TORUS_ERR_GRAPHITE_BAD_PATTERN: {
    area: "graphite",
    meaning: "A path pattern whose braces expand to more plain patterns than allowed.",
    fix: "Use wildcards (`*`, `[a-z]`) instead of long or repeated `{a,b,...}` groups.",
  },
  TORUS_ERR_GRAPHITE_BAD_TIME: {
    area: "graphite",
    meaning: "`from`, `until`, `now` or a time argument is not a time graphite-web can read.",
    fix: "Use graphite-web's forms: `-1d`, `now-5min`, `20240101`, `12:00_20240101`, a Unix timestamp.",
  },
  TORUS_ERR_GRAPHITE_EMPTY_RANGE: {
    area: "graphite",
    meaning: "`from` and `until` name the same second.",
    fix: "Ask for a range at least one second long.",
  },
  TORUS_ERR_GRAPHITE_BAD_RANGE: {
    area: "graphite",
    meaning: "`from` is after `until`, or a step that is not a positive whole number of seconds.",
    fix: "Swap `from` and `until`, or correct the step.",
  },
  TORUS_ERR_GRAPHITE_UNKNOWN_FUNCTION: {
    area: "graphite",
    meaning: "A target calls a render function Torus does not have.",
    fix: "Check the spelling against `/functions`.",
  },
  TORUS_ERR_GRAPHITE_ARG_COUNT: {
    area: "graphite",
    meaning: "A render function called with too few or too many arguments, or an argument given twice.",
    fix: "Pass the arguments `/functions` lists for the function.",
  },
  TORUS_ERR_GRAPHITE_ARG_TYPE: {
    area: "graphite",
    meaning: "A render function argument of the wrong kind (a number where a series list is expected, and so on).",
    fix: "Pass the kind of argument the message names.",
  },
  TORUS_ERR_GRAPHITE_ARG_VALUE: {
    area: "graphite",
    meaning: "A render function argument of the right kind but an unusable value (a negative window, an unknown aggregation name, a bad regular expression).",
    fix: "Correct the argument the message names.",
  },
  TORUS_ERR_GRAPHITE_UNKNOWN_KEYWORD: {
    area: "graphite",
    meaning: "A render function called with a keyword argument it does not have.",
    fix: "Use the parameter names `/functions` lists for the function.",
  },
  TORUS_ERR_GRAPHITE_NO_FETCH: {
    area: "graphite",
    meaning: "A render function that reads its input again over another range (timeShift, timeStack) was evaluated without a way to fetch.",
    fix: "Use the function through `/render`, where series are read from the stores.",
  },
  TORUS_ERR_GRAPHITE_TOO_MANY_SERIES: {
    area: "graphite",
    meaning: "A `/render` request whose paths match more names, summed over its targets, than RENDER_MAX_SERIES.",
    fix: "Narrow the wildcards, split the panel, or raise RENDER_MAX_SERIES.",
  },
  TORUS_ERR_GRAPHITE_TOO_MANY_POINTS: {
    area: "graphite",
    meaning: "A `/render` request that would read or make more points (names × points read, plus every render function's new values, summed over its targets) than RENDER_MAX_POINTS; refused before they are read or allocated.",
    fix: "Use a shorter range, a larger `summarize`/`hitcount` interval or fewer series, or raise RENDER_MAX_POINTS.",
  },

  // The command line (src/cli).
  TORUS_ERR_USAGE: {
    area: "cli",
    meaning: "A command-line mistake found by Torus's own checks (a flag's value that does not parse, a required flag missing); the command exits with status 2.",
    fix: "Correct the flag the message names; `--help` lists the command's flags.",
  },

  // The tools (src/tools): `torus query` talking to a running server.
  TORUS_ERR_CLIENT_UNREACHABLE: {
    area: "tools",
    meaning: "`torus query` could not connect to the server at `--url`.",
    fix: "Start torus (`torus` or `torus start`), or pass the address it listens on with `--url`.",
  },
  TORUS_ERR_CLIENT_BAD_ANSWER: {
    area: "tools",
    meaning: "The server at `--url` answered with something other than a Torus JSON answer (another service on that port, a proxy's error page).",
    fix: "Check that `--url` points at torus; an error the server itself reports keeps the server's own code.",
  },
} as const satisfies Record<`TORUS_ERR_${string}`, ErrorEntry>;

export type TorusErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every code, in the table's order. */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as TorusErrorCode[];
