import type { NamePoints, PointRead, PointSource } from "../graphite-data.js";
import { pointGrid } from "./point-grid.js";
import { readPoints } from "./rows-to-points.js";

/**
 * Points read straight from the schema's store on every request: one store
 * read for all names of the read, rows turned into points by the type layer
 * (see rows-to-points.ts). Exact for every store; the windowed source is the
 * fast one, and falls back to this.
 */
export class DirectPointSource implements PointSource {
  async read(read: PointRead): Promise<NamePoints[]> {
    const grid = pointGrid(read.interval, read.first, read.last);
    const empty = () => ({ start: grid.start, step: grid.step, values: new Float64Array(Math.max(0, grid.length)).fill(Number.NaN) });
    if (read.names.length === 0) return [];
    if (grid.length <= 0) return read.names.map(empty);
    const ts = read.schema.series;
    const points = read.names.map(empty);
    const values = points.map((p) => p.values);
    await readPoints(read.schema.store, ts.ns, ts.type, ts.decodeValue, read.names, read.interval.name, read.first, read.last, grid.cal, values.map(() => grid.firstIndex), values);
    return points;
  }
}
