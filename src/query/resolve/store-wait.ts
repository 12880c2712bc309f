import type { RuntimeSchema } from "../../runtime/runtime.js";
import { ErrorCodes, TorusError } from "../../timeseries/index.js";
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
  return Promise.race([work.catch((err) => Promise.reject(namingSchema(err, schema))), expired]).finally(() => clearTimeout(timer));
}

/** A relay's refusal names its store; the client asked by schema, so name that too. */
function namingSchema(err: unknown, schema: RuntimeSchema): unknown {
  return err instanceof TorusError && err.code === ErrorCodes.RELAY_READ ? relayReadError(schema) : err;
}

/** The 400 for reading (or deleting from) a schema whose store is a relay. */
export function relayReadError(schema: RuntimeSchema): TorusError {
  return new TorusError(ErrorCodes.RELAY_READ, `schema ${JSON.stringify(schema.compiled.name)} relays to Carbon (${schema.store.url}): its points are forwarded, not kept, so they cannot be read here (read them from the Carbon host)`, {
    field: "schema",
    value: schema.compiled.name,
  });
}

export function storeTimeout(schema: RuntimeSchema, ms: number): QueryError {
  return new QueryError(
    503,
    QueryErrorCodes.STORE_TIMEOUT,
    `store ${schema.store.url} (schema ${JSON.stringify(schema.compiled.name)}) did not answer within ${ms / 1000} s (QUERY_TIMEOUT)`,
  );
}
