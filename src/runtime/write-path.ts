/**
 * The write path a server offers besides its sockets: `/insert` sends one
 * point through the same routing and write buffers as a Carbon line, and
 * learns from the returned value what happened to it (no field read
 * afterwards, so concurrent requests cannot see each other's outcome).
 */

/** Why a point, or a row it made, was not stored. */
export interface PointRejection {
  /** The counter label: `bad_value`, `too_far_future`, `out_of_range`, ... */
  readonly reason: string;
  readonly message: string;
  /** `staging`: every matching schema refused it before buffering; `store`: the store refused its row at the flush. */
  readonly by: "staging" | "store";
}

/** What became of one point sent through {@link WritePath.write}. */
export interface WriteOutcome {
  /** Writes staged (schemas × names the point reached); 0 with a rejection, or when nothing matched. */
  readonly staged: number;
  readonly rejection: PointRejection | null;
  /** False when a store failed while writing (the rows are kept and retried). */
  readonly stored: boolean;
}

export interface WritePath {
  /** Route, stage and flush one point; resolves once its rows are written (or refused, or a write failed). */
  write(stat: string, value: string, timestamp: number): Promise<WriteOutcome>;
}
