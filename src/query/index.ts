/** The query server (SPEC §5): `buildQueryApp` and the pieces other front ends (Graphite `/render`) share. */
export { buildQueryApp, type QueryAppDeps } from "./query-app.js";
export { clientOf } from "./http/client-address.js";
export { QueryError, QueryErrorCodes, classifyError } from "./query-error.js";
export { QueryMetrics } from "./http/query-metrics.js";
export { pointWriter, type PointWriter } from "./point-writer.js";
export { RequestBudget, bucketCount, bucketRange, chooseSchema, pickSchema, readResolved, resolveStat, type ReadParams, type ResolvedStat, type SchemaChoice } from "./resolve/resolve-stat.js";
export { parseStatExpression, type StatExpression } from "./resolve/stat-expression.js";
export { parseTime, wallTimeToUtc, zoneOffsetMs, type TimeContext } from "../time/time-parse.js";
export { toJsonValue } from "./http/serialize.js";
