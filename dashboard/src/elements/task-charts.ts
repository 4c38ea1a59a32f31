import { css, html, LitElement, unsafeCSS } from "lit";
import uPlot from "uplot";
import uPlotCss from "uplot/dist/uPlot.min.css?inline";
import type { AgentTask } from "../../../schema/index.ts";
import {
  type Chart,
  chartsOf,
  describeSpan,
  formatValue,
  PALETTE_PROPERTIES,
  type Palette,
  summarize,
} from "../charts/charts.ts";
import { plotData, plotOptions } from "../charts/plot.ts";
import { type TaskSeries, taskSeries } from "../charts/series.ts";
import { ClockController } from "../controllers/clock.ts";
import { base } from "../styles.ts";

const clockTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/**
 * Small charts of the last hours of `tasks`: started and finished by outcome, time to Running,
 * duration and queue depth, each with a table of the same numbers. The series come from the tasks'
 * own timestamps (charts/series.ts); uPlot draws them on canvas, in the page's colours.
 */
export class AyTaskCharts extends LitElement {
  static override properties = {
    tasks: { attribute: false },
  };
  declare tasks: AgentTask[];

  private readonly plots = new Map<string, uPlot>();
  private readonly dark = window.matchMedia("(prefers-color-scheme: dark)");
  private readonly resize = new ResizeObserver(() => this.fit());
  private series: TaskSeries | undefined;
  private charts: Chart[] = [];
  /** Set when the colours changed: uPlot takes them only when a plot is made. */
  private repaint = false;

  static override styles = [
    base,
    unsafeCSS(uPlotCss),
    css`
      .charts {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr));
      }
      figure {
        margin: 0;
        min-width: 0;
      }
      figcaption {
        font-weight: 600;
        margin-bottom: 0.25rem;
      }
      .plot {
        min-height: 180px;
      }
      /* uPlot's legend: the page's font and colours, in one line under the plot. */
      .plot .u-legend {
        font: inherit;
        font-size: 0.85rem;
        color: var(--ay-muted);
        background: none;
        width: auto;
        text-transform: none;
      }
      .plot .u-legend th,
      .plot .u-legend td {
        border: 0;
        padding: 0 0.35rem;
        background: none;
        text-transform: none;
        letter-spacing: normal;
      }
      details {
        margin-top: 0.5rem;
      }
      summary {
        cursor: pointer;
        color: var(--ay-accent);
      }
      td.number,
      th.number {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      tfoot td,
      tfoot th {
        font-weight: 600;
      }
    `,
  ];

  constructor() {
    super();
    this.tasks = [];
    // The last interval moves with the clock, even when no task changes.
    new ClockController(this);
  }

  private readonly schemeChanged = () => {
    this.repaint = true;
    this.requestUpdate();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    this.dark.addEventListener("change", this.schemeChanged);
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.dark.removeEventListener("change", this.schemeChanged);
    this.resize.disconnect();
    for (const plot of this.plots.values()) plot.destroy();
    this.plots.clear();
  }

  private palette(): Palette {
    const style = getComputedStyle(this);
    return Object.fromEntries(
      Object.entries(PALETTE_PROPERTIES).map(([key, property]) => [
        key,
        style.getPropertyValue(property).trim(),
      ]),
    ) as unknown as Palette;
  }

  private target(chart: Chart): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>(`#plot-${chart.id}`);
  }

  private fit(): void {
    for (const chart of this.charts) {
      const width = this.target(chart)?.clientWidth ?? 0;
      const plot = this.plots.get(chart.id);
      if (plot && width > 0 && width !== plot.width) plot.setSize({ width, height: plot.height });
    }
  }

  /** Makes or refreshes each plot after the figures are in the shadow root. */
  protected override updated(): void {
    const series = this.series;
    if (!series) return;
    const palette = this.palette();
    const font = getComputedStyle(this).fontFamily;
    for (const chart of this.charts) {
      const target = this.target(chart);
      if (!target) continue;
      const data = plotData(series, chart);
      const plot = this.plots.get(chart.id);
      if (plot && !this.repaint && plot.data[0]?.length === data[0].length) {
        plot.setData(data);
        continue;
      }
      plot?.destroy();
      const width = Math.max(target.clientWidth, 240);
      this.plots.set(chart.id, new uPlot(plotOptions(chart, palette, font, width), data, target));
    }
    this.repaint = false;
    // Which scheme's colours the plots hold: what a person sees, and what the browser test waits for.
    this.renderRoot
      .querySelector(".charts")
      ?.setAttribute("data-scheme", this.dark.matches ? "dark" : "light");
  }

  private table(chart: Chart, series: TaskSeries) {
    const starts = series.buckets.starts;
    return html`<table id="table-${chart.id}" data-table=${chart.id}>
      <caption>${chart.title}, ${describeSpan(series)}${chart.unit === "seconds" ? " (blank: no task)" : ""}</caption>
      <thead>
        <tr>
          <th scope="col">Interval from</th>
          ${chart.lines.map((line) => html`<th scope="col" class="number">${line.label}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${starts.map(
          (start, i) => html`<tr>
            <th scope="row"><time datetime=${new Date(start).toISOString()}>${clockTime.format(start)}</time></th>
            ${chart.lines.map((line) => html`<td class="number">${formatValue(chart.unit, line.values[i] ?? null)}</td>`)}
          </tr>`,
        )}
      </tbody>
      ${
        chart.totals
          ? html`<tfoot>
            <tr>
              <th scope="row">Total</th>
              ${chart.lines.map(
                (line) =>
                  html`<td class="number" data-total=${line.label}>${line.values.reduce<number>((sum, v) => sum + (v ?? 0), 0)}</td>`,
              )}
            </tr>
          </tfoot>`
          : ""
      }
    </table>`;
  }

  override render() {
    const series = taskSeries(this.tasks, Date.now());
    this.series = series;
    this.charts = chartsOf(series);
    return html`<div class="charts">
      ${this.charts.map(
        (chart) => html`<figure class="card" data-chart=${chart.id} aria-labelledby="title-${chart.id}">
          <figcaption id="title-${chart.id}">${chart.title}</figcaption>
          <div
            class="plot"
            id="plot-${chart.id}"
            role="img"
            aria-label="${chart.title}, ${describeSpan(series)}"
            aria-describedby="summary-${chart.id}"
          ></div>
          <p class="muted" id="summary-${chart.id}">${summarize(chart)}</p>
          <details>
            <summary>Numbers of ${chart.title.toLowerCase()}</summary>
            <div class="table-wrap">${this.table(chart, series)}</div>
          </details>
        </figure>`,
      )}
    </div>`;
  }
}
customElements.define("ay-task-charts", AyTaskCharts);
