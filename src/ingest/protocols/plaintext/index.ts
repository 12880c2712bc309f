/**
 * The Carbon plaintext protocol (`name value timestamp\n`) over TCP and UDP.
 *
 * @module
 */
import type { Protocol } from "../protocol.js";
import { parseDatagram } from "./line-framer.js";
import type { BadLineReason } from "./plaintext-parser.js";
import { PlaintextStream, type PlaintextLimits } from "./plaintext-stream.js";

export type { PlaintextLimits } from "./plaintext-stream.js";

export const plaintext: Protocol<PlaintextLimits, BadLineReason> = {
  name: "plaintext",
  stream: (sink, limits) => new PlaintextStream(sink, limits),
  datagram: (datagram, sink, limits) => parseDatagram(datagram, sink, limits.maxLineLength),
};
