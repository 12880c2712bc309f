/** The query server (SPEC §5): `buildQueryApp` and the pieces other front ends (Graphite `/render`) share. */
export { buildQueryApp, clientOf, type QueryAppDeps } from "./query-app.js";
export { QueryError, QueryErrorCodes, classifyError } from "./query-error.js";
export { QueryMetrics } from "./query-metrics.js";
export { pointWriter, type PointWriter } from "./point-writer.js";
export { RequestBudget, bucketCount, bucketRange, chooseSchema, pickSchema, readResolved, resolveStat, type ReadParams, type ResolvedStat, type SchemaChoice } from "./resolve-stat.js";
export { parseStatExpression, type StatExpression } from "./stat-expression.js";
export { parseTime, wallTimeToUtc, zoneOffsetMs, type TimeContext } from "../time/time-parse.js";
export { toJsonValue } from "./serialize.js";
