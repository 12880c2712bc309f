import { createSocket, type Socket } from "node:dgram";
import { isIPv6, type AddressInfo } from "node:net";
import type { ReceiverOptions } from "./tcp-receiver.js";

export interface UdpReceiverOptions extends ReceiverOptions {
  /** Decode one datagram (the protocol's datagram form, with the bounds of the current configuration). */
  decode: (datagram: Buffer) => void;
  /** A datagram dropped while input is paused. */
  dropped: () => void;
}

/**
 * A protocol over UDP: each datagram holds whole units (plaintext: lines). UDP cannot
 * push back, so while the write buffer is full datagrams are dropped and
 * counted (`udp_dropped`) rather than growing memory without bound.
 */
export class UdpReceiver {
  private socket: Socket | null = null;
  private paused = false;

  constructor(private readonly options: UdpReceiverOptions) {}

  listen(host: string, port: number): Promise<AddressInfo> {
    const socket = createSocket({ type: isIPv6(host) ? "udp6" : "udp4", reuseAddr: false });
    this.socket = socket;
    socket.on("message", (msg) => {
      if (this.paused) return this.options.dropped();
      this.options.decode(msg);
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

  /** UDP has no connections (for the open-connections gauge, which counts TCP's). */
  get connections(): number {
    return 0;
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
