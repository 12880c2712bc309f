/**
 * One TCP connection of Carbon's pickle protocol: frames in, points out.
 *
 * @module
 */
import type { PointSink, StreamClose, StreamDecoder } from "../protocol.js";
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

export class PickleStream implements StreamDecoder {
  readonly #frames: FrameReader;
  readonly #unpickler = new Unpickler();

  constructor(
    private readonly sink: PointSink<PickleReason>,
    limits: PickleLimits,
  ) {
    const maxName = limits.maxLineLength;
    this.#frames = new FrameReader(limits.maxPickleFrame, (buf, start, end) => {
      let top;
      try {
        top = this.#unpickler.load(buf, start, end);
      } catch (err) {
        // The whole frame is dropped: a pickle that is not what carbon sends is not half-trusted.
        if (err instanceof PickleRefusal) return { reason: err.reason, message: `${err.message}; closing the connection`, detail: { opcode: err.opcode, offset: err.offset - start, frameLength: end - start } };
        // Anything else the decoder throws is a pickle it could not read (a bug there must not take karbon down with it).
        return { reason: "pickle_malformed", message: "unreadable pickle; closing the connection", detail: { err: (err as Error)?.message ?? String(err), frameLength: end - start } };
      }
      emitPoints(top, sink, maxName);
      return null;
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
