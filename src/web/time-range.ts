/** Seconds per unit of a relative Graphite time (`-6h`, `-30min`, `-7d`), as graphite-web counts them. */
const UNITS: Array<[RegExp, number]> = [
  [/^(s|sec|secs|second|seconds)$/, 1],
  [/^(min|mins|minute|minutes)$/, 60],
  [/^(h|hour|hours)$/, 3600],
  [/^(d|day|days)$/, 86_400],
  [/^(w|week|weeks)$/, 604_800],
  [/^(mon|month|months)$/, 30 * 86_400],
  [/^(y|year|years)$/, 365 * 86_400],
];

/** Unix seconds of a range end as the page keeps it (`now`, `-6h`, `now-6h` or Unix seconds); null for other forms. */
export function resolveTime(text: string, now: number): number | null {
  const t = text.trim();
  if (t === "now" || t === "") return now;
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(?:now)?([+-])(\d+)([a-z]+)$/.exec(t);
  if (!m) return null;
  const unit = UNITS.find(([re]) => re.test(m[3]));
  if (!unit) return null;
  return now + (m[1] === "-" ? -1 : 1) * Number(m[2]) * unit[1];
}

/** `YYYY-MM-DDTHH:MM` in local time, what a datetime-local input shows. */
export function toLocalInput(sec: number): string {
  const d = new Date(sec * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
