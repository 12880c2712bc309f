import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Logger } from "../logging/logger.js";
import { LineFramer } from "./line-framer.js";
import type { PlaintextSink } from "./plaintext-parser.js";

export interface ReceiverOptions {
  sink: PlaintextSink;
  maxLineLength: () => number;
  /** After each chunk is parsed: the buffers decide whether to flush or push back. */
  onChunk: () => void;
  logger: Logger;
}

/**
 * Carbon plaintext over TCP: one framer per connection, chunks parsed as
 * they arrive. Pausing stops reading every socket, so the kernel's window
 * fills and senders wait (backpressure) instead of anything being dropped.
 */
export class TcpReceiver {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private paused = false;

  constructor(private readonly options: ReceiverOptions) {
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host, port }, () => {
        this.server.off("error", onError);
        this.server.on("error", (err) => this.options.logger.error({ err: err.message }, "TCP listener error"));
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  private accept(socket: Socket): void {
    const framer = new LineFramer(this.options.sink, { maxLineLength: this.options.maxLineLength() });
    this.sockets.add(socket);
    socket.setNoDelay(true);
    if (this.paused) socket.pause();
    socket.on("data", (chunk: Buffer) => {
      framer.push(chunk);
      this.options.onChunk();
    });
    // The sender closed its side: its last line is complete even without a newline.
    socket.on("end", () => {
      framer.end();
      this.options.onChunk();
      socket.end();
    });
    socket.on("error", (err) => this.options.logger.debug({ err: err.message }, "connection error"));
    socket.on("close", () => this.sockets.delete(socket));
  }

  get connections(): number {
    return this.sockets.size;
  }

  pause(): void {
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    this.paused = false;
    for (const s of this.sockets) s.resume();
  }

  /** Stop accepting and drop open connections; a partial line not yet terminated was never accepted. */
  close(): Promise<void> {
    for (const s of this.sockets) {
      s.removeAllListeners("data");
      s.removeAllListeners("end");
      s.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
