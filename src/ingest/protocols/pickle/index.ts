/**
 * Carbon's pickle protocol (Graphite's port 2004) over TCP: length-prefixed
 * pickles of `[(name, (timestamp, value)), ...]`, as carbon-relay and
 * statsd's `graphiteProtocol: "pickle"` send them. TCP only (carbon has no
 * pickle datagrams).
 *
 * @module
 */
import type { Protocol } from "../protocol.js";
import type { PickleReason } from "./pickle-reasons.js";
import { PickleStream, type PickleLimits } from "./pickle-stream.js";

export type { PickleLimits } from "./pickle-stream.js";
export { PICKLE_REASONS, describeBadPickle, type PickleReason } from "./pickle-reasons.js";

/** Default `MAX_PICKLE_FRAME`: carbon's own receiver refuses frames over 1 MiB too. */
export const DEFAULT_MAX_PICKLE_FRAME = 1024 * 1024;

export const pickle: Protocol<PickleLimits, PickleReason> = {
  name: "pickle",
  stream: (sink, limits) => new PickleStream(sink, limits),
};
