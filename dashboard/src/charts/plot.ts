import uPlot from "uplot";
import { type Chart, formatValue, type Palette } from "./charts.ts";
import type { TaskSeries } from "./series.ts";

export const PLOT_HEIGHT = 180;

/** uPlot's data of a chart: the intervals' starts in seconds, then one array per line. */
export function plotData(series: TaskSeries, chart: Chart): uPlot.AlignedData {
  return [series.buckets.starts.map((ms) => ms / 1000), ...chart.lines.map((line) => line.values)];
}

/** uPlot's options for a chart, in the page's colours and font. */
export function plotOptions(chart: Chart, palette: Palette, font: string, width: number): uPlot.Options {
  const axis = {
    stroke: palette.muted,
    font: `12px ${font}`,
    grid: { stroke: palette.grid, width: 1 },
    ticks: { stroke: palette.grid, width: 1 },
  };
  return {
    width,
    height: PLOT_HEIGHT,
    scales: {
      x: { time: true },
      // Counts and durations start at zero; an empty chart still shows a scale.
      y: { range: (_u, _min, max) => [0, Math.max(chart.unit === "tasks" ? 2 : 1, max * 1.1)] },
    },
    axes: [
      axis,
      {
        ...axis,
        size: 56,
        values: (_u, splits) => splits.map((v) => formatValue(chart.unit, v)),
        // Whole tasks only: no "0.5 tasks" on the axis.
        ...(chart.unit === "tasks" ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
      },
    ],
    cursor: { points: { size: 7 } },
    // Names only: the values are in the table, and a legend that changes under the pointer reads badly.
    legend: { live: false },
    series: [
      {},
      ...chart.lines.map(
        (line): uPlot.Series => ({
          label: line.label,
          stroke: palette[line.colour],
          width: 2,
          ...(line.dash ? { dash: line.dash } : {}),
          points: { show: true, size: 5, fill: palette[line.colour] },
          ...(line.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
          value: (_u, v) => formatValue(chart.unit, v),
        }),
      ),
    ],
  };
}
