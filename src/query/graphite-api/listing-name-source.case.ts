/** A name source for tests: every schema listed afresh on each call (no background refresh). */
import { NameIndex } from "../../graphite/name-index.js";
import type { Runtime } from "../../runtime/runtime.js";
import { waitForStore } from "../resolve/store-wait.js";
import type { NameSource } from "./graphite-data.js";

/**
 * The simplest NameSource: every `ready()` lists every schema's names afresh (`list()`) into a new
 * index. Exact and never stale, but a listing per request; the refreshing source is the one to serve
 * many names with. Used when no other source is given.
 */
export class ListingNameSource implements NameSource {
  private current = new NameIndex();

  constructor(private readonly runtime: () => Runtime) {}

  index(): NameIndex {
    return this.current;
  }

  async ready(): Promise<void> {
    const runtime = this.runtime();
    const index = new NameIndex();
    // A relay keeps no names: it lists none.
    const lists = await Promise.all(runtime.schemas.map((s) => (s.store.relayStats ? [] : waitForStore(s.series.list(), s, runtime.config.queryTimeoutMs))));
    runtime.schemas.forEach((s, i) => index.replace(s.compiled.name, lists[i]));
    this.current = index;
  }

  async close(): Promise<void> {}
}
