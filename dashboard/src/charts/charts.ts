import { OUTCOMES, type TaskSeries } from "./series.ts";

/** The colours a chart draws with: the page's own custom properties, so it follows light and dark. */
export interface Palette {
  text: string;
  muted: string;
  grid: string;
  info: string;
  ok: string;
  bad: string;
  warn: string;
  accent: string;
}

export const PALETTE_PROPERTIES: Record<keyof Palette, string> = {
  text: "--ay-text",
  muted: "--ay-muted",
  grid: "--ay-border",
  info: "--ay-info",
  ok: "--ay-ok",
  bad: "--ay-bad",
  warn: "--ay-warn",
  accent: "--ay-accent",
};

export type Unit = "tasks" | "seconds";

/** One line of a chart and of its table. `dash` tells lines of one colour apart, so colour is never the only cue. */
export interface Line {
  label: string;
  values: (number | null)[];
  colour: keyof Palette;
  dash?: number[];
  /** Queue depth is a level that holds between samples, not a count per interval. */
  stepped?: boolean;
}

export interface Chart {
  id: string;
  title: string;
  unit: Unit;
  lines: Line[];
  /** Whether the table sums each column in a last row: counts add up, percentiles do not. */
  totals: boolean;
}

const DASHED = [6, 4];

/** The four charts of a set of tasks, each with the lines it draws and its table shows. */
export function chartsOf(series: TaskSeries): Chart[] {
  const outcomeColour = { Succeeded: "ok", Failed: "bad", Cancelled: "warn", TimedOut: "bad" } as const;
  return [
    {
      id: "throughput",
      title: "Tasks started and finished",
      unit: "tasks",
      totals: true,
      lines: [
        { label: "Started", values: series.started, colour: "info" },
        ...OUTCOMES.map((outcome) => ({
          label: outcome,
          values: series.finished[outcome],
          colour: outcomeColour[outcome],
          ...(outcome === "TimedOut" ? { dash: DASHED } : {}),
        })),
      ],
    },
    {
      id: "wait",
      title: "Time from creation to Running",
      unit: "seconds",
      totals: false,
      lines: [
        { label: "p50", values: series.waitP50, colour: "accent" },
        { label: "p95", values: series.waitP95, colour: "accent", dash: DASHED },
      ],
    },
    {
      id: "duration",
      title: "Task duration",
      unit: "seconds",
      totals: false,
      lines: [
        { label: "p50", values: series.durationP50, colour: "info" },
        { label: "p95", values: series.durationP95, colour: "info", dash: DASHED },
      ],
    },
    {
      id: "queue",
      title: "Queue depth",
      unit: "tasks",
      totals: false,
      lines: [{ label: "Queued", values: series.queueDepth, colour: "warn", stepped: true }],
    },
  ];
}

/** "4m 10s", "12s": a duration on an axis or in a table cell. */
export function formatSeconds(value: number | null): string {
  if (value === null) return "—";
  if (value < 60) return `${Number.isInteger(value) ? value : value.toFixed(1)}s`;
  const s = Math.round(value);
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ""}`;
}

export const formatValue = (unit: Unit, value: number | null): string =>
  unit === "seconds" ? formatSeconds(value) : value === null ? "—" : String(value);

/** "last 15 minutes in 1-minute intervals": what the x axis spans, for captions. */
export function describeSpan(series: TaskSeries): string {
  const minutes = (ms: number) => Math.round(ms / 60_000);
  const step = minutes(series.buckets.stepMs);
  const span = step * series.buckets.starts.length;
  const total = span >= 120 && span % 60 === 0 ? `${span / 60} hours` : `${span} minutes`;
  return `last ${total} in ${step}-minute intervals`;
}

/** One sentence of what a chart shows, for those who do not see it. */
export function summarize(chart: Chart): string {
  if (chart.totals) {
    return chart.lines
      .map((line) => `${line.label} ${line.values.reduce<number>((sum, v) => sum + (v ?? 0), 0)}`)
      .join(", ");
  }
  const parts = chart.lines.map((line) => {
    const values = line.values.filter((v): v is number => v !== null);
    return values.length === 0
      ? `${line.label}: no data`
      : `${line.label} at most ${formatValue(chart.unit, Math.max(...values))}`;
  });
  return parts.join(", ");
}
