/**
 * One TCP connection of Carbon's pickle protocol: frames in, points out.
 *
 * @module
 */
import type { PointSink, StreamClose, StreamDecoder } from "../protocol.js";
import { PlainPoints, scanPlainFrame } from "./fast-frame.js";
import { FrameReader } from "./frame-reader.js";
import { emitPoints } from "./pickle-points.js";
import type { PickleReason } from "./pickle-reasons.js";
import { PickleRefusal, Unpickler } from "./unpickler.js";

/** The bounds of the pickle protocol, read from the configuration when a connection opens. */
export interface PickleLimits {
  /** Longest accepted frame in bytes (`MAX_PICKLE_FRAME`); a longer length prefix closes the connection. */
  readonly maxPickleFrame: number;
  /** Longest accepted name, as plaintext bounds its lines (`MAX_LINE_LENGTH`). */
  readonly maxLineLength: number;
}

/**
 * One frame through the general unpickler: its points, or why the connection closes.
 * Every frame not in carbon's plain shape takes this path (and the tests hold the plain path equal to it).
 */
export function decodeGeneral(unpickler: Unpickler, buf: Buffer, start: number, end: number, sink: PointSink<PickleReason>, maxName: number): StreamClose | null {
  let top;
  try {
    top = unpickler.load(buf, start, end);
  } catch (err) {
    // The whole frame is dropped: a pickle that is not what carbon sends is not half-trusted.
    if (err instanceof PickleRefusal) return { reason: err.reason, message: `${err.message}; closing the connection`, detail: { opcode: err.opcode, offset: err.offset - start, frameLength: end - start } };
    // Anything else the decoder throws is a pickle it could not read (a bug there must not take karbon down with it).
    return { reason: "pickle_malformed", message: "unreadable pickle; closing the connection", detail: { err: (err as Error)?.message ?? String(err), frameLength: end - start } };
  }
  emitPoints(top, sink, maxName);
  return null;
}

export class PickleStream implements StreamDecoder {
  readonly #frames: FrameReader;
  readonly #unpickler = new Unpickler();
  readonly #plain = new PlainPoints();

  constructor(
    private readonly sink: PointSink<PickleReason>,
    limits: PickleLimits,
  ) {
    const maxName = limits.maxLineLength;
    const plain = this.#plain;
    this.#frames = new FrameReader(limits.maxPickleFrame, (buf, start, end) => {
      // Carbon's own shape is read in one pass with no value per tuple; anything else takes the general path, whole.
      const isPlain = scanPlainFrame(buf, start, end, maxName, plain);
      if (isPlain) {
        const { names, values, seconds, count } = plain;
        for (let k = 0; k < count; k++) sink.point(names[k], values[k], seconds[k]);
      }
      plain.clear();
      if (isPlain) return null;
      return decodeGeneral(this.#unpickler, buf, start, end, sink, maxName);
    });
  }

  push(chunk: Buffer): StreamClose | null {
    return this.#frames.push(chunk);
  }

  /** The sender closed its side: a frame it did not finish is dropped, and counted. */
  end(): void {
    const pending = this.#frames.pendingBytes;
    if (pending > 0) {
      const length = this.#frames.pendingFrameLength;
      this.sink.bad("pickle_truncated", length === null ? `${pending} bytes of a frame header` : `${pending - 4} of ${length} bytes`);
    }
    this.#frames.reset();
  }

  get pendingBytes(): number {
    return this.#frames.pendingBytes;
  }
}
