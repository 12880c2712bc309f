/**
 * What a wire protocol gives the receivers: a decoder per stream (one TCP
 * connection) and, where the protocol has one, a datagram form (UDP). The
 * receivers own sockets (connection cap, idle timeout, backpressure); a
 * protocol owns bytes (framing, parsing, what counts as bad input). A new
 * protocol is a folder beside `plaintext/` exporting one {@link Protocol},
 * listed in `protocols/index.ts`.
 *
 * @module
 */

/**
 * Receives what a decoder found: points and bad input, synchronously, from
 * `push()`/`end()`. `R` is the protocol's set of bad-input reasons (stable
 * strings: metric labels and log fields).
 */
export interface PointSink<R extends string = string> {
  /** A well-formed point; `value` is handed on as text, the schema's `write_func` decides what it means. */
  point(name: string, value: string, timestamp: number): void;
  /** Input that was skipped: why, and the start of it for display. */
  bad(reason: R, excerpt: string): void;
}

/**
 * Why a decoder wants its connection closed (a sender speaking some other
 * protocol, input it cannot resynchronise after). The receiver counts
 * `reason`, logs `message` once with `detail` and the peer, and closes.
 */
export interface StreamClose {
  readonly reason: string;
  readonly message: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Decodes one byte stream (one TCP connection). One per connection; keeps the unfinished tail between chunks. */
export interface StreamDecoder {
  /**
   * The next chunk, in order. Every unit it completes goes to the sink before
   * this returns. Returns null, or why the connection must be closed (nothing
   * more of it is decoded).
   */
  push(chunk: Buffer): StreamClose | null;
  /** The sender closed its side: decode what a final unit without its terminator allows. */
  end(): void;
  /** Bytes held for an unfinished unit (reported when an idle connection is closed with them). */
  readonly pendingBytes: number;
}

/**
 * A wire protocol. `L` is the part of the configuration it reads (its
 * bounds), given when a connection opens or a datagram arrives, so a reload
 * applies to the next one.
 */
export interface Protocol<L, R extends string = string> {
  /** Its name in a listener (`{ protocol: "plaintext", ... }`). */
  readonly name: string;
  /** A decoder for one new stream. */
  stream(sink: PointSink<R>, limits: L): StreamDecoder;
  /** Decode one datagram (whole units, nothing carried over); absent where the protocol has no datagram form. */
  readonly datagram?: (datagram: Buffer, sink: PointSink<R>, limits: L) => void;
}
