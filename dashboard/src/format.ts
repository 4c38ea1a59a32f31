/** "3 min ago", "in 2 h": when something happened, as a person reads it; the exact time goes in a tooltip. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "";
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return iso;
  const steps: [number, string][] = [
    [60, "s"],
    [60, "min"],
    [24, "h"],
    [Number.POSITIVE_INFINITY, "d"],
  ];
  let value = Math.abs(seconds);
  for (const [size, unit] of steps) {
    if (value < size) return seconds >= 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`;
    value = Math.floor(value / size);
  }
  return iso;
}

/** "42s", "3m 5s", "1h 2m": the time between two moments, or until now. */
export function elapsed(from: string | undefined, to?: string, now = Date.now()): string {
  if (!from) return "";
  const ms = (to ? Date.parse(to) : now) - Date.parse(from);
  if (Number.isNaN(ms) || ms < 0) return "";
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export const shortCommit = (commit: string) => commit.slice(0, 12);

/**
 * `url` when it is an absolute http(s) URL, else undefined. An agent writes lastPR.url, so a page
 * must never turn `javascript:` or `data:` from it into a link.
 */
export function webLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const { protocol } = new URL(url);
    return protocol === "http:" || protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
