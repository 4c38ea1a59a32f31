import { css, html, LitElement } from "lit";
import type { AgentTask, Org } from "../../../schema/index.ts";
import { FetchController } from "../controllers/fetch.ts";
import { clusterHealth, type Health, operatorHealth } from "../health.ts";
import { countByPhase, PHASE_NAMES, toneOf } from "../phases.ts";
import { href } from "../router.ts";
import { base } from "../styles.ts";
import "./health-card.ts";
import "./task-charts.ts";

const HEALTH_REFRESH_MS = 10_000;

/** The first page: is everything up, and how much work is where. */
export class AyOverview extends LitElement {
  static override properties = {
    tasks: { attribute: false },
    orgs: { attribute: false },
    loaded: { type: Boolean },
  };
  declare tasks: AgentTask[];
  declare orgs: Org[];
  declare loaded: boolean;

  private readonly alive = new FetchController<unknown>(this, {
    path: () => "/healthz",
    refreshMs: () => HEALTH_REFRESH_MS,
  });
  private readonly ready = new FetchController<unknown>(this, {
    path: () => "/readyz",
    refreshMs: () => HEALTH_REFRESH_MS,
  });

  static override styles = [
    base,
    css`
      section {
        margin-bottom: 1.75rem;
      }
      .counts {
        display: grid;
        gap: 0.75rem;
        grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr));
      }
      .count {
        display: block;
        text-decoration: none;
        color: inherit;
      }
      .count strong {
        display: block;
        font-size: 1.75rem;
        line-height: 1.1;
      }
      .count.ok strong {
        color: var(--ay-ok);
      }
      .count.bad strong {
        color: var(--ay-bad);
      }
      .count.info strong {
        color: var(--ay-info);
      }
      .count.warn strong {
        color: var(--ay-warn);
      }
    `,
  ];

  constructor() {
    super();
    this.tasks = [];
    this.orgs = [];
    this.loaded = false;
  }

  private probe(controller: FetchController<unknown>, ok: string): Health {
    if (controller.problem) return { tone: "bad", state: "Failing", detail: controller.problem.message };
    if (controller.value === undefined) return { tone: "neutral", state: "Checking…", detail: "" };
    return { tone: "ok", state: "Healthy", detail: ok };
  }

  override render() {
    const counts = countByPhase(this.tasks);
    const operator = this.loaded
      ? operatorHealth(this.orgs, this.tasks)
      : ({ tone: "neutral", state: "Checking…", detail: "" } as const);
    return html`<h1>Overview</h1>
      <section aria-labelledby="health">
        <h2 id="health">Health</h2>
        <div class="grid">
          <ay-health-card name="api" .health=${this.probe(this.alive, "Serving this dashboard and the REST API.")}></ay-health-card>
          <ay-health-card name="Kubernetes API server" .health=${this.probe(this.ready, "The api reaches the management cluster.")}></ay-health-card>
          <ay-health-card name="operator" .health=${operator}></ay-health-card>
        </div>
      </section>
      <section aria-labelledby="clusters">
        <h2 id="clusters">Org clusters</h2>
        ${
          this.orgs.length === 0
            ? html`<p class="muted">${this.loaded ? "No Orgs yet." : "Loading…"}</p>`
            : html`<div class="grid">
              ${this.orgs.map(
                (
                  org,
                ) => html`<a class="count" href=${href({ page: "org", name: org.metadata.name as string })}>
                  <ay-health-card name=${org.metadata.name as string} .health=${clusterHealth(org)}></ay-health-card>
                </a>`,
              )}
            </div>`
        }
      </section>
      <section aria-labelledby="work">
        <h2 id="work">Tasks by phase</h2>
        <div class="counts">
          ${PHASE_NAMES.map(
            (
              phase,
            ) => html`<a class="card count ${toneOf(phase)}" href=${href({ page: "tasks", phase })} data-phase=${phase}>
              <strong>${counts[phase]}</strong>${phase}
            </a>`,
          )}
        </div>
      </section>
      <section aria-labelledby="recent">
        <h2 id="recent">Recent work</h2>
        <ay-task-charts .tasks=${this.tasks}></ay-task-charts>
      </section>`;
  }
}
customElements.define("ay-overview", AyOverview);
