/**
 * The shape of `GET /karbon/status`, alone in a module with no imports so
 * the web page (a separate build) imports the same type the server answers with.
 */

/** What `GET /karbon/status` answers: the few numbers an operator looks at first. */
export type KarbonStatus =
  | {
      available: true;
      source: string;
      /** Unix seconds the numbers were read. */
      at: number;
      points: { total: number; perSecond: number | null };
      badLines: { total: number; byReason: Record<string, number> };
      /** Rows waiting in the write buffer, by store. */
      buffer: Record<string, number>;
      /** Flushes by store: how many, their mean, and the bucket bound under which 99% fell (ms). */
      flush: Record<string, { count: number; meanMs: number | null; p99Ms: number | null; failures: number }>;
      deadLetters: { total: number; top: Array<{ name: string; count: number }> };
    }
  | { available: false; source: string | null; message: string };
