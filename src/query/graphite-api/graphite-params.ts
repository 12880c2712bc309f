import type { FastifyRequest } from "fastify";
import { bodyParams } from "../http/form-body.js";
import type { Params } from "../http/params.js";

/**
 * Request parameters as graphite-web reads them: the query string with the form body merged in
 * (`request.GET.copy().update(request.POST)`). A repeated parameter (`target`) collects every value,
 * URL values first; a single-valued one takes the last value, so the body's wins over the URL's.
 */
export class GraphiteParams {
  private readonly values = new Map<string, string[]>();

  constructor(...sources: Params[]) {
    for (const src of sources) {
      for (const [k, v] of Object.entries(src)) {
        if (v === undefined) continue;
        const list = this.values.get(k) ?? [];
        if (Array.isArray(v)) list.push(...v);
        else list.push(v);
        this.values.set(k, list);
      }
    }
  }

  static of(req: FastifyRequest, maxParams: number): GraphiteParams {
    return new GraphiteParams(req.query as Params, bodyParams(req.body, maxParams));
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The last value given (the body's when both give one). */
  get(name: string): string | undefined {
    const list = this.values.get(name);
    return list === undefined ? undefined : list[list.length - 1];
  }

  /** Every value, URL values first. */
  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  entries(): IterableIterator<[string, string[]]> {
    return this.values.entries();
  }
}
