import { ErrorCodes, StoreError, TorusError, quote } from "../../errors.js";
import type { Namespace, Properties, RelayStats, Row, Store } from "../../store.js";
import type { WriteBatch } from "../../write-batch.js";
import { BatchPoints, type DropReason } from "./batch-points.js";
import { parseRelayUrl, type RelayTarget } from "./carbon-url.js";
import { RelaySender } from "./relay-sender.js";

/**
 * A store that keeps nothing: each write's points are forwarded to a Carbon
 * receiver (`carbon://` plaintext lines, `carbon+pickle://` pickle frames).
 * A write is taken whole into a bounded queue or refused whole: when the
 * queue is full it waits `write_wait_ms` for room, then fails retryably, so
 * karbon's write buffer keeps the batch, retries, and pauses its senders
 * once full, as with a slow store. Reads are refused with TORUS_ERR_RELAY_READ.
 */
export class CarbonRelayStore implements Store {
  readonly url: string;
  readonly handle: RelaySender;
  readonly target: RelayTarget;
  private readonly converter: BatchPoints;
  private readonly dropped: Record<string, number> = {};
  private closed = false;

  constructor(url: string, clientConfig: Record<string, unknown> = {}, onState?: ConstructorParameters<typeof RelaySender>[0]["onState"]) {
    this.url = url;
    this.target = parseRelayUrl(url, clientConfig);
    const t = this.target;
    this.handle = new RelaySender({ host: t.host, port: t.port, protocol: t.protocol, batchPoints: t.batchPoints, backoffMinMs: t.backoffMinMs, backoffMaxMs: t.backoffMaxMs, confirmMs: t.confirmMs, onState });
    this.converter = new BatchPoints({ horizonSeconds: t.bucketHorizon, maxOpen: t.maxOpenBuckets });
  }

  async write(batch: WriteBatch): Promise<void> {
    if (this.closed) throw new StoreError(this.url, "relay is closed");
    const sender = this.handle;
    // Rows bound the points a batch makes (one point per row at most), so room is judged before converting.
    const need = batch.size;
    if (sender.queued > 0 && sender.queued + need > this.target.maxQueue) {
      const until = Date.now() + this.target.writeWaitMs;
      while (sender.queued > 0 && sender.queued + need > this.target.maxQueue) {
        const left = until - Date.now();
        if (left <= 0 || this.closed) {
          throw new StoreError(this.url, `relay queue full: ${sender.queued} points waiting for ${this.target.host}:${this.target.port} (${sender.isConnected ? "connected, receiver slow" : "not connected"}); the batch stays in karbon's buffer`);
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([sender.changed(), new Promise((r) => (timer = setTimeout(r, left)))]);
        clearTimeout(timer);
      }
    }
    sender.enqueue(this.converter.points(batch, (reason: DropReason, n: number) => (this.dropped[reason] = (this.dropped[reason] ?? 0) + n)));
  }

  relayStats(): RelayStats {
    const s = this.handle;
    return { sent: s.sent, queued: s.queued, resent: s.resent, dropped: { ...this.dropped }, connected: s.isConnected };
  }

  private refuse(what: string): never {
    throw new TorusError(
      ErrorCodes.RELAY_READ,
      `${quote(this.url)} is a relay to Carbon: its points are forwarded, not kept, so ${what} has nothing to answer (read them from the Carbon host)`,
      { field: "host", value: this.url },
    );
  }

  async read(_ns: Namespace, _names: readonly string[], _interval: string, _first: number, _last: number): Promise<Row[][]> {
    this.refuse("a read");
  }

  async list(_ns: Namespace): Promise<string[]> {
    this.refuse("a listing");
  }

  async properties(_ns: Namespace, _name: string): Promise<Properties> {
    this.refuse("a properties read");
  }

  async delete(_ns: Namespace, _name: string): Promise<void> {
    this.refuse("a delete");
  }

  async deleteAll(_ns: Namespace): Promise<void> {
    this.refuse("a delete");
  }

  /** Retention is the Carbon host's (its storage-schemas.conf): nothing here to expire. */
  async expire(): Promise<void> {}

  /** Keep sending what is queued for up to `close_timeout_ms`; what is left then is counted dropped (`shutdown`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const left = await this.handle.close(this.target.closeTimeoutMs);
    if (left > 0) this.dropped.shutdown = (this.dropped.shutdown ?? 0) + left;
  }
}

/** The factory `open-store.ts` registers for `carbon://` and `carbon+pickle://`. */
export async function openCarbonRelayStore(url: string, clientConfig: Record<string, unknown>): Promise<Store> {
  return new CarbonRelayStore(url, clientConfig);
}
