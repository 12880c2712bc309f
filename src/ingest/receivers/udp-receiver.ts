import { createSocket, type Socket } from "node:dgram";
import { isIPv6, type AddressInfo } from "node:net";
import { parseDatagram } from "../protocols/plaintext/line-framer.js";
import type { ReceiverOptions } from "./tcp-receiver.js";

/**
 * Carbon plaintext over UDP: each datagram holds whole lines. UDP cannot
 * push back, so while the write buffer is full datagrams are dropped and
 * counted (`udp_dropped`) rather than growing memory without bound.
 */
export class UdpReceiver {
  private socket: Socket | null = null;
  private paused = false;

  constructor(private readonly options: ReceiverOptions & { dropped: () => void }) {}

  listen(host: string, port: number): Promise<AddressInfo> {
    const socket = createSocket({ type: isIPv6(host) ? "udp6" : "udp4", reuseAddr: false });
    this.socket = socket;
    socket.on("message", (msg) => {
      if (this.paused) return this.options.dropped();
      parseDatagram(msg, this.options.sink, this.options.maxLineLength());
      this.options.onChunk();
    });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: host === "localhost" ? "127.0.0.1" : host, port }, () => {
        socket.off("error", reject);
        socket.on("error", (err) => this.options.logger.error({ err: err.message }, "UDP socket error"));
        resolve(socket.address());
      });
    });
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
