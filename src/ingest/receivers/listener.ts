/**
 * A listener: a protocol on a transport at an address. Karbon opens one
 * receiver per listener; the CLI's `--tcp` and `--udp` are the plaintext
 * ones, `--pickle` the pickle one. A new protocol needs no change here, only its folder under
 * `protocols/` and its entry in `protocols/index.ts`.
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import type { Logger } from "../../logging/logger.js";
import { PROTOCOLS, type BadInputReason, type PointSink, type ProtocolLimits, type ProtocolName } from "../protocols/index.js";
import { TcpReceiver, type ConnectionEvent, type TcpLimits } from "./tcp-receiver.js";
import { UdpReceiver } from "./udp-receiver.js";

export type Transport = "tcp" | "udp";

export interface ListenerSpec {
  /** Its key in the listening log line and in Karbon's addresses (`tcp` and `udp` for Carbon plaintext). */
  readonly name: string;
  readonly protocol: ProtocolName;
  readonly transport: Transport;
  readonly address: { readonly host: string; readonly port: number };
}

/** What karbon does with what a receiver hears. */
export interface ListenerContext {
  /** Where every protocol's points and bad input go (the current dispatcher). */
  sink: PointSink<BadInputReason>;
  /** The current configuration, for each protocol's bounds (read per connection, per datagram). */
  limits: () => ProtocolLimits;
  onChunk: () => void;
  logger: Logger;
  /** TCP: the connection cap and idle timeout, read per connection. */
  tcpLimits: () => TcpLimits;
  onConnectionEvent: (event: ConnectionEvent, partial?: boolean) => void;
  onInputRefused: (reason: string) => void;
  /** UDP: a datagram dropped while input is paused. */
  dropped: () => void;
}

/** An open receiver, whatever its transport. */
export interface Receiver {
  listen(host: string, port: number): Promise<AddressInfo>;
  pause(): void;
  resume(): void;
  /** Stop; a transport with connections lets them finish for up to `drainMs` first (see TcpReceiver.close). */
  close(drainMs?: number): Promise<void>;
  /** Open connections (0 where the transport has none). */
  readonly connections: number;
}

/** The receiver for one listener (not yet listening). */
export function createReceiver(spec: ListenerSpec, context: ListenerContext): Receiver {
  const protocol = PROTOCOLS[spec.protocol];
  const { sink, limits, onChunk, logger } = context;
  if (spec.transport === "tcp") {
    return new TcpReceiver({
      decoder: () => protocol.stream(sink, limits()),
      onChunk,
      logger,
      limits: context.tcpLimits,
      onConnectionEvent: context.onConnectionEvent,
      onInputRefused: context.onInputRefused,
    });
  }
  const datagram = protocol.datagram;
  if (!datagram) throw new RangeError(`listener ${spec.name}: the ${protocol.name} protocol has no UDP form`);
  return new UdpReceiver({ decode: (msg) => datagram(msg, sink, limits()), onChunk, logger, dropped: context.dropped });
}

/** Names must be distinct, and not `metrics` (the self-metrics port shares the addresses' keys). */
export function checkListeners(specs: readonly ListenerSpec[]): void {
  const seen = new Set<string>(["metrics"]);
  for (const s of specs) {
    if (seen.has(s.name)) throw new RangeError(`listener name ${JSON.stringify(s.name)} is used twice (or is "metrics")`);
    seen.add(s.name);
  }
}

type Address = ListenerSpec["address"];

/** Carbon's listeners, as `--tcp`, `--udp` (plaintext) and `--pickle` name them (each null when off). */
export function carbonListeners(tcp: Address | null, udp: Address | null, pickle: Address | null = null): ListenerSpec[] {
  const out: ListenerSpec[] = [];
  if (tcp) out.push({ name: "tcp", protocol: "plaintext", transport: "tcp", address: tcp });
  if (udp) out.push({ name: "udp", protocol: "plaintext", transport: "udp", address: udp });
  if (pickle) out.push({ name: "pickle", protocol: "pickle", transport: "tcp", address: pickle });
  return out;
}
