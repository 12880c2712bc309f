import type { NewEvent, StoredEvent } from "../store.js";

/**
 * What a store's event log must answer, kept in memory: the reference the
 * conformance suite compares every backend with. It knows the ids the store
 * gave (they are the store's to choose) and checks only that they increase.
 */
export class EventModel {
  private readonly events = new Map<number, StoredEvent>();
  private last = 0;

  /** Record an event under the id the store gave; false when that id did not increase. */
  add(id: number, event: NewEvent): boolean {
    const fresh = Number.isInteger(id) && id > this.last;
    this.last = Math.max(this.last, id);
    this.events.set(id, { id, ...event, tags: [...event.tags] });
    return fresh;
  }

  range(from: number, until: number): StoredEvent[] {
    return [...this.events.values()].filter((e) => e.when >= from && e.when <= until).sort((a, b) => a.when - b.when || a.id - b.id);
  }

  get(id: number): StoredEvent | null {
    return this.events.get(id) ?? null;
  }

  delete(id: number): boolean {
    return this.events.delete(id);
  }

  ids(): number[] {
    return [...this.events.keys()];
  }
}
