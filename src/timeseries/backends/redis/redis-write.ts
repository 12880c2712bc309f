/**
 * A WriteBatch turned into calls of the WRITE script: one call per cluster
 * slot (or one in all for a standalone server). Everything is checked and
 * encoded before anything is sent, so a bad batch sends nothing.
 */
import { StoreError, quote } from "../../errors.js";
import type { Interval } from "../../intervals.js";
import { TYPE_NAMES, type GaugeCell, type Namespace, type TypeName, type WriteBatch } from "../../store.js";
import { expiryOf, intervalToken, type KeySpace } from "./redis-keys.js";
import { slotOf } from "./redis-slot.js";

/** One WRITE script call: its declared keys and its argument stream. */
export class WriteCall {
  readonly keys: string[] = [];
  readonly args: string[];
  private readonly index = new Map<string, string>();

  constructor(type: TypeName) {
    this.args = [type];
  }

  /** The 1-based KEYS index of `key`, declaring it on first use. */
  key(key: string): string {
    let i = this.index.get(key);
    if (i === undefined) {
      this.keys.push(key);
      this.index.set(key, (i = String(this.keys.length)));
    }
    return i;
  }
}

function finite(url: string, what: string, v: number): string {
  if (!Number.isFinite(v)) throw new StoreError(url, `write: ${what} ${quote(v)} is not a finite number`, { retryable: false });
  return String(v);
}

/**
 * Encode `batch`. `cluster` splits it per slot (Redis rejects a script
 * whose keys span slots); a standalone server gets one call, so the whole
 * flush is one atomic script.
 */
export function encodeBatch(
  url: string,
  batch: WriteBatch,
  keySpace: (ns: Namespace) => KeySpace,
  cluster: boolean,
  wallNow: number,
): WriteCall[] {
  const calls = new Map<string, WriteCall>();
  // Calls are per type: the script switches on ARGV[1].
  const callFor = (type: TypeName, key: string): WriteCall => {
    const id = cluster ? `${type}:${slotOf(key)}` : type;
    let c = calls.get(id);
    if (!c) calls.set(id, (c = new WriteCall(type)));
    return c;
  };
  for (const part of batch.parts.values()) {
    const type = part.ns.type;
    if (!(TYPE_NAMES as readonly string[]).includes(type)) {
      throw new StoreError(url, `write: unknown type ${quote(type)} (have ${TYPE_NAMES.join(", ")}); nothing was written`, { retryable: false });
    }
    const ks = keySpace(part.ns);
    const tokens = part.intervals.map((iv) => intervalToken(iv.name));
    const registry: string[] = [];
    for (const [name, perInterval] of part.names) {
      let nameExpiry = 0;
      let forever = false;
      let call: WriteCall | undefined;
      for (let i = 0; i < perInterval.length; i++) {
        const cells = perInterval[i];
        if (!cells || cells.size === 0) continue;
        const iv = part.intervals[i];
        call ??= callFor(type, ks.base(name));
        const at = encodeInterval(url, call, ks, type, name, iv, tokens[i], cells, wallNow);
        if (at === 0) forever = true;
        else nameExpiry = Math.max(nameExpiry, at);
      }
      if (call) registry.push(forever ? "+inf" : String(nameExpiry), name);
    }
    if (registry.length > 0) {
      const call = callFor(type, ks.names);
      call.args.push("N", call.key(ks.names), String(registry.length / 2));
      for (const r of registry) call.args.push(r);
    }
  }
  return [...calls.values()];
}

/** One stat's cells in one interval → an `I` record. Returns the latest expiry (0 = kept forever). */
function encodeInterval(
  url: string,
  call: WriteCall,
  ks: KeySpace,
  type: TypeName,
  name: string,
  iv: Interval,
  token: string,
  cells: Map<number, unknown>,
  wallNow: number,
): number {
  // Sub-buckets → their bucket's argument list.
  const buckets = new Map<number, string[]>();
  for (const [sub, cell] of cells) {
    const bucket = iv.bucketOf(sub);
    let out = buckets.get(bucket);
    if (!out) buckets.set(bucket, (out = []));
    const off = String(sub - bucket);
    switch (type) {
      case "count":
        out.push(off, finite(url, "count", cell as number));
        break;
      case "histogram":
        for (const [member, n] of cell as Map<string, number>) out.push(`${off}:${member}`, finite(url, "histogram count", n));
        break;
      case "set":
        for (const member of cell as Set<string>) out.push(`${off}:${member}`);
        break;
      case "series":
        for (const value of cell as string[]) out.push(`${off}:${value}`);
        break;
      case "gauge": {
        const g = cell as GaugeCell;
        out.push(off, finite(url, "gauge timestamp", g.ts), g.value);
        break;
      }
    }
  }
  const head = call.args.length;
  call.args.push("I", call.key(ks.index(name, iv.name)), call.key(ks.intervals(name)), token, "0", String(buckets.size));
  let latest = 0;
  for (const [bucket, args] of buckets) {
    const at = expiryOf(iv, bucket, wallNow) ?? 0;
    latest = Math.max(latest, at);
    call.args.push(call.key(ks.bucket(name, iv.name, bucket)), String(bucket), String(at), String(args.length));
    for (const a of args) call.args.push(a);
  }
  call.args[head + 4] = String(latest);
  return latest;
}
