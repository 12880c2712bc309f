/**
 * Why pickle input was refused: stable strings, counted in
 * `karbon_bad_lines_total{reason}` and logged.
 *
 * Frame-level reasons close the connection (nothing more of it can be
 * trusted to be in step); point-level reasons skip one point, the rest of
 * its frame still lands.
 *
 * @module
 */

/** Reasons that close the connection: the frame is dropped whole. */
export type PickleFrameReason =
  /** The 4-byte length prefix is over `MAX_PICKLE_FRAME` (refused before anything of the frame is buffered). */
  | "pickle_frame_too_long"
  /** An opcode that would look up or call code: GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX, PERSID, BINPERSID, EXT1/2/4. */
  | "pickle_unsafe_opcode"
  /** An opcode for data carbon never sends (dicts, sets, out-of-band buffers), or a byte that is no opcode at all. */
  | "pickle_unsupported_opcode"
  /** A PROTO header above 5. */
  | "pickle_protocol"
  /** Containers or MARKs nested deeper than the bound (carbon's data nests three deep). */
  | "pickle_too_deep"
  /** Not a well-formed pickle: stack underflow, an argument past the frame's end, no STOP, a bad memo key, bytes after STOP. */
  | "pickle_malformed";

/** Reasons that skip one point or one frame's content, the connection carrying on. */
export type PicklePointReason =
  /** The pickle is well-formed but is not a list (or tuple) of points. */
  | "pickle_not_a_list"
  /** An element that is not `(name, (timestamp, value))` with a text name and a number or text value. */
  | "pickle_bad_point"
  /** A name that is empty, holds a blank or line break, or is longer than `MAX_LINE_LENGTH`. */
  | "pickle_bad_name"
  /** The timestamp is not a finite number of seconds >= 0 (plaintext's `bad_timestamp`). */
  | "pickle_bad_timestamp"
  /** A name or value in bytes that are not UTF-8 (plaintext's `bad_utf8`). */
  | "pickle_bad_utf8"
  /** The sender closed its side in the middle of a frame: the partial frame is dropped. */
  | "pickle_truncated";

export type PickleReason = PickleFrameReason | PicklePointReason;

/** Every {@link PickleReason}. */
export const PICKLE_REASONS: readonly PickleReason[] = Object.freeze([
  "pickle_frame_too_long",
  "pickle_unsafe_opcode",
  "pickle_unsupported_opcode",
  "pickle_protocol",
  "pickle_too_deep",
  "pickle_malformed",
  "pickle_not_a_list",
  "pickle_bad_point",
  "pickle_bad_name",
  "pickle_bad_timestamp",
  "pickle_bad_utf8",
  "pickle_truncated",
]);

const REASON_TEXT: Readonly<Record<PickleReason, string>> = {
  pickle_frame_too_long: "the frame's length is over MAX_PICKLE_FRAME",
  pickle_unsafe_opcode: "the pickle would look up or call code",
  pickle_unsupported_opcode: "the pickle holds an opcode for data carbon never sends",
  pickle_protocol: "the pickle protocol is above 5",
  pickle_too_deep: "the pickle nests deeper than carbon's data ever does",
  pickle_malformed: "not a well-formed pickle",
  pickle_not_a_list: "the pickle is not a list of (name, (timestamp, value))",
  pickle_bad_point: "expected (name, (timestamp, value)) with a text name and a number or text value",
  pickle_bad_name: "the name is empty, holds a blank or line break, or is over MAX_LINE_LENGTH",
  pickle_bad_timestamp: "the timestamp must be seconds since the epoch, a number >= 0",
  pickle_bad_utf8: "the name or value is not valid UTF-8",
  pickle_truncated: "the connection ended in the middle of a frame; the partial frame was dropped",
};

/** A one-line message for a skipped point or frame, quoting it. */
export function describeBadPickle(reason: PickleReason, excerpt: string): string {
  return `bad pickle (${reason}): ${REASON_TEXT[reason]}: ${JSON.stringify(excerpt)}`;
}
