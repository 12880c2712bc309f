/** One point as Carbon sees it: a float for a name at a Unix second. */
export interface RelayPoint {
  readonly name: string;
  readonly ts: number;
  readonly value: number;
}
