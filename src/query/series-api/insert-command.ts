import type { Runtime } from "../../runtime/runtime.js";
import { one, required, type Params } from "../http/params.js";
import { QueryError, QueryErrorCodes } from "../query-error.js";
import type { PointWriter } from "../point-writer.js";
import { checkStatName } from "../resolve/resolve-stat.js";
import { parseTime, type TimeContext } from "../../time/time-parse.js";

/** `/insert?stat=X&value=V[&timestamp=T]` (GET or POST): one point, routed as karbon routes it. */
export async function insertCommand(
  params: Params,
  runtime: Runtime,
  writer: PointWriter | null,
  time: TimeContext,
): Promise<{ stat: string; value: string; timestamp: number; stored: number }> {
  if (!writer) throw new QueryError(404, QueryErrorCodes.NOT_WRITABLE, "this server has no write path (/insert is served by `torus` and `torus start`)");
  const stat = required(params, "stat");
  checkStatName(stat, runtime);
  if (/[\s]/.test(stat)) throw new QueryError(400, QueryErrorCodes.BAD_PARAMETER, `stat: ${JSON.stringify(stat.slice(0, 120))} contains whitespace, which the Carbon protocol cannot carry`, "stat");
  const value = required(params, "value");
  const ts = one(params, "timestamp");
  const timestamp = ts === undefined || ts === "" ? time.now : parseTime(ts, "timestamp", time);
  const stored = await writer.insert(stat, value, timestamp);
  return { stat, value, timestamp, stored };
}
