/** A markdown table; cells are escaped so that a `|` in a value cannot split a column. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  for (const row of rows) {
    if (row.length !== header.length) {
      throw new Error(`a row has ${row.length} cells, the header ${header.length}`);
    }
  }
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Seconds with two decimals, from milliseconds. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A rate per second with one decimal. */
export const perSecond = (rate: number) => `${rate.toFixed(1)}/s`;

/** A ratio with three decimals; "–" when the reference is missing or zero. */
export function ratio(value: number, reference: number | undefined): string {
  return reference ? (value / reference).toFixed(3) : "–";
}

/** Kibibytes as mebibytes, rounded. */
export const mebibytes = (kib: number) => `${Math.round(kib / 1024)} MiB`;

/** Milliseconds, with a decimal below 10 ms, for figures that `seconds` would round to nothing. */
export const milliseconds = (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
