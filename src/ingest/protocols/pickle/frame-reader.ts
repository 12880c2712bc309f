/**
 * Carbon's pickle framing: a 4-byte big-endian length, then that many bytes
 * of one pickle, many frames per connection. A length over the bound is
 * refused as soon as its 4 bytes are in, before any of the frame is
 * buffered. A frame that arrives whole in one chunk is decoded in place;
 * only one split across chunks is copied (into a buffer of exactly its length).
 *
 * @module
 */
import type { StreamClose } from "../protocol.js";

/** Decodes one complete frame, `buf[start..end)`; null, or why the connection must close. */
export type FrameHandler = (buf: Buffer, start: number, end: number) => StreamClose | null;

const HEADER = 4;

export class FrameReader {
  readonly #header = Buffer.alloc(HEADER);
  #headerLength = 0;
  /** The frame being assembled across chunks, or null between frames. */
  #body: Buffer | null = null;
  #bodyLength = 0;

  constructor(
    private readonly maxFrame: number,
    private readonly onFrame: FrameHandler,
  ) {}

  push(chunk: Buffer): StreamClose | null {
    let pos = 0;
    const size = chunk.length;
    while (pos < size) {
      const body = this.#body;
      if (body !== null) {
        const n = Math.min(body.length - this.#bodyLength, size - pos);
        chunk.copy(body, this.#bodyLength, pos, pos + n);
        this.#bodyLength += n;
        pos += n;
        if (this.#bodyLength < body.length) return null;
        this.#body = null;
        this.#bodyLength = 0;
        const close = this.onFrame(body, 0, body.length);
        if (close !== null) return close;
        continue;
      }
      let length: number;
      if (this.#headerLength === 0 && size - pos >= HEADER) {
        length = chunk.readUInt32BE(pos);
        pos += HEADER;
      } else {
        const n = Math.min(HEADER - this.#headerLength, size - pos);
        chunk.copy(this.#header, this.#headerLength, pos, pos + n);
        this.#headerLength += n;
        pos += n;
        if (this.#headerLength < HEADER) return null;
        this.#headerLength = 0;
        length = this.#header.readUInt32BE(0);
      }
      if (length > this.maxFrame) {
        return {
          reason: "pickle_frame_too_long",
          message: "pickle frame over MAX_PICKLE_FRAME; closing the connection",
          detail: { length, max: this.maxFrame },
        };
      }
      if (length === 0) return { reason: "pickle_malformed", message: "empty pickle frame; closing the connection", detail: { length } };
      if (size - pos >= length) {
        const close = this.onFrame(chunk, pos, pos + length);
        pos += length;
        if (close !== null) return close;
        continue;
      }
      this.#body = Buffer.allocUnsafe(length);
      this.#bodyLength = 0;
    }
    return null;
  }

  /** Bytes of an unfinished frame (its header included). */
  get pendingBytes(): number {
    return this.#headerLength + this.#bodyLength + (this.#body !== null ? HEADER : 0);
  }

  /** The length of the unfinished frame, or null when between frames (or inside a header). */
  get pendingFrameLength(): number | null {
    return this.#body?.length ?? null;
  }

  /** Forget any unfinished frame. */
  reset(): void {
    this.#headerLength = 0;
    this.#body = null;
    this.#bodyLength = 0;
  }
}
