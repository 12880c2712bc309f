// asciichart ships no types; this covers what the query tool uses.
declare module "asciichart" {
  interface PlotConfig {
    height?: number;
    min?: number;
    max?: number;
    offset?: number;
    padding?: string;
    colors?: string[];
    symbols?: string[];
    format?: (x: number, i: number) => string;
  }
  const asciichart: {
    plot(series: number[] | number[][], config?: PlotConfig): string;
    default: string;
    reset: string;
    green: string;
    blue: string;
    red: string;
    magenta: string;
    cyan: string;
    yellow: string;
  };
  export default asciichart;
}
