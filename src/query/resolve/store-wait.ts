import type { RuntimeSchema } from "../../runtime/runtime.js";
import { QueryError, QueryErrorCodes } from "../query-error.js";

/**
 * `work` (a read of `schema`'s store), or a 503 naming the store once
 * `ms` have passed (QUERY_TIMEOUT). The read itself goes on (a driver
 * cannot always cancel one) and its late result is dropped; the request
 * is answered, and the process serves others meanwhile. The store's URL
 * in the message is the redacted one (no password).
 */
export function waitForStore<T>(work: Promise<T>, schema: RuntimeSchema | null | undefined, ms: number): Promise<T> {
  if (!schema) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(storeTimeout(schema, ms)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export function storeTimeout(schema: RuntimeSchema, ms: number): QueryError {
  return new QueryError(
    503,
    QueryErrorCodes.STORE_TIMEOUT,
    `store ${schema.store.url} (schema ${JSON.stringify(schema.compiled.name)}) did not answer within ${ms / 1000} s (QUERY_TIMEOUT)`,
  );
}
