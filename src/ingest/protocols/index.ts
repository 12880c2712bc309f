/**
 * The wire protocols karbon speaks, by the name a listener gives.
 *
 * @module
 */
import { describeBadPickle, pickle, PICKLE_REASONS, type PickleLimits, type PickleReason } from "./pickle/index.js";
import { plaintext, type PlaintextLimits } from "./plaintext/index.js";
import { describeBadLine, type BadLineReason } from "./plaintext/plaintext-parser.js";

export type { PointSink, Protocol, StreamClose, StreamDecoder } from "./protocol.js";

export const PROTOCOLS = { plaintext, pickle } as const;

export type ProtocolName = keyof typeof PROTOCOLS;

/** The configuration every protocol reads its bounds from (each protocol adds its own). */
export type ProtocolLimits = PlaintextLimits & PickleLimits;

/** Every reason a protocol reports bad input with. */
export type BadInputReason = BadLineReason | PickleReason;

const PICKLE = new Set<string>(PICKLE_REASONS);

/** A one-line message for skipped input, in the words of the protocol whose reason it is. */
export function describeBadInput(reason: BadInputReason, excerpt: string): string {
  return PICKLE.has(reason) ? describeBadPickle(reason as PickleReason, excerpt) : describeBadLine(reason as BadLineReason, excerpt);
}
