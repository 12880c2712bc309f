/**
 * The timeseries library: typed, bucketed time series (count, histogram,
 * series, gauge, set) over pluggable stores. Imports nothing from the servers.
 */
export { ErrorCodes, FlushOverlapError, StoreError, TorusError, quote, type ErrorCode } from "./errors.js";
export { GREGORIAN, Interval, parseCalendar, type Calendar, type IntervalSpec } from "./intervals.js";
export { TYPE_NAMES, type ChangedRange, type Changes, type EventLog, type NameListing, type NewEvent, type Namespace, type Properties, type RelayStats, type Row, type RowColumns, type StoredEvent, type Store, type TagCondition, type TagValueCount, type TypeName } from "./store.js";
export { compareCodePoints, prefixRange, tagPairs } from "./tag-pairs.js";
export { FLUSH_ID_TTL_SECONDS, WriteBatch, flushHome, type BatchPart, type StagedNames } from "./write-batch.js";
export {
  Timeseries,
  createTimeseries,
  type FetchKey,
  type GetOptions,
  type InsertOptions,
  type ReadOptions,
  type SeriesOptions,
  type SeriesResult,
  type TimeseriesOptions,
  type PreparedPoint,
  type SlotHint,
} from "./timeseries.js";
export { compileTransform, type TransformFn, type TransformOption } from "./transforms.js";
export { BUILTIN_TRANSFORMS, typeDef } from "./types/index.js";
export { long_or_float, type ReadFunc, type WriteFunc } from "./values.js";
export { StoreRegistry, checkStoreUrl, openStore, registerBackend, type StoreFactory } from "./backends/open-store.js";
export { redactUrl } from "./backends/url.js";
