/**
 * The wire protocols karbon speaks, by the name a listener gives.
 *
 * @module
 */
import { plaintext, type PlaintextLimits } from "./plaintext/index.js";
import type { BadLineReason } from "./plaintext/plaintext-parser.js";

export type { PointSink, Protocol, StreamClose, StreamDecoder } from "./protocol.js";

export const PROTOCOLS = { plaintext } as const;

export type ProtocolName = keyof typeof PROTOCOLS;

/** The configuration every protocol reads its bounds from (each protocol adds its own). */
export type ProtocolLimits = PlaintextLimits;

/** Every reason a protocol reports bad input with. */
export type BadInputReason = BadLineReason;
