import { css, html, LitElement, nothing } from "lit";
import type { AgentTask, Org } from "../../../schema/index.ts";
import { clusterHealth } from "../health.ts";
import { href } from "../router.ts";
import { base } from "../styles.ts";
import "./conditions-table.ts";
import "./task-charts.ts";
import "./task-table.ts";

/** One Org: where its agents run, its limits, its conditions and its tasks. */
export class AyOrgDetail extends LitElement {
  static override properties = {
    name: {},
    org: { attribute: false },
    tasks: { attribute: false },
    canSchedule: { type: Boolean },
    loaded: { type: Boolean },
  };
  declare name: string;
  declare org: Org | undefined;
  declare tasks: AgentTask[];
  declare canSchedule: boolean;
  declare loaded: boolean;

  static override styles = [
    base,
    css`
      header {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        flex-wrap: wrap;
        gap: 1rem;
      }
      section {
        margin-bottom: 1.5rem;
      }
      .columns {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr));
        margin-bottom: 1.5rem;
      }
    `,
  ];

  constructor() {
    super();
    this.tasks = [];
    this.canSchedule = false;
    this.loaded = false;
  }

  override render() {
    const org = this.org;
    if (!org) {
      return html`<h1>${this.name}</h1>
        <p class="muted" role="status">${this.loaded ? `There is no Org ${this.name} you may see.` : "Loading…"}</p>`;
    }
    const cluster = clusterHealth(org);
    const counts = org.status?.tasks;
    const repo = org.spec.repo;
    return html`<header>
        <h1>Org ${this.name}</h1>
        ${
          this.canSchedule
            ? html`<a class="button primary" href=${href({ page: "schedule", org: this.name })}>Schedule a task</a>`
            : html`<button class="primary" disabled title="You may not create tasks in this Org">Schedule a task</button>`
        }
      </header>
      <div class="columns">
        <section class="card" aria-labelledby="where">
          <h2 id="where">Where its agents run</h2>
          <dl class="facts">
            <dt>Namespace</dt><dd class="mono">${org.status?.namespace ?? org.spec.namespace ?? `org-${this.name}`}</dd>
            <dt>Cluster</dt><dd>${org.status?.cluster ?? "local"}</dd>
            <dt>Reachable</dt><dd data-health=${cluster.tone}>${cluster.state}</dd>
            <dt>Repository</dt><dd class="mono">${repo ? `${repo.url}${repo.branch ? ` @ ${repo.branch}` : ""}` : "—"}</dd>
            <dt>Agent image</dt><dd class="mono">${org.spec.agent?.image ?? "—"}</dd>
            <dt>Editor mesh</dt><dd>${org.spec.mesh?.provider ?? "none"}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="quota">
          <h2 id="quota">Quota</h2>
          <dl class="facts">
            <dt>At once</dt><dd>${org.spec.limits?.maxConcurrentTasks ?? "—"} tasks</dd>
            <dt>Running</dt><dd>${counts?.running ?? 0}</dd>
            <dt>Starting</dt><dd>${counts?.starting ?? 0}</dd>
            <dt>Queued</dt><dd>${counts?.queued ?? 0}</dd>
            <dt>Finished</dt><dd>${(counts?.succeeded ?? 0) + (counts?.failed ?? 0) + (counts?.cancelled ?? 0) + (counts?.timedOut ?? 0)}</dd>
          </dl>
        </section>
      </div>
      ${
        org.status?.conditions?.length
          ? html`<section aria-labelledby="conditions">
            <h2 id="conditions">Conditions</h2>
            <ay-conditions-table .conditions=${org.status.conditions}></ay-conditions-table>
          </section>`
          : nothing
      }
      <section aria-labelledby="recent">
        <h2 id="recent">Recent work</h2>
        <ay-task-charts .tasks=${this.tasks}></ay-task-charts>
      </section>
      <section aria-labelledby="tasks">
        <h2 id="tasks">Tasks</h2>
        <ay-task-table .tasks=${this.tasks} caption="Tasks of ${this.name}" empty="No tasks in this Org yet."></ay-task-table>
      </section>`;
  }
}
customElements.define("ay-org-detail", AyOrgDetail);
