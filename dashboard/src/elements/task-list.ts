import { css, html, LitElement } from "lit";
import type { AgentTask, TaskPhase } from "../../../schema/index.ts";
import { PHASE_NAMES, phaseOf } from "../phases.ts";
import { navigate } from "../router.ts";
import { base } from "../styles.ts";
import "./task-table.ts";

/** The tasks page: filters by Org and phase (kept in the address), and the live table. */
export class AyTaskList extends LitElement {
  static override properties = {
    tasks: { attribute: false },
    orgs: { attribute: false },
    org: {},
    phase: {},
    loaded: { type: Boolean },
  };
  declare tasks: AgentTask[];
  declare orgs: string[];
  declare org: string | undefined;
  declare phase: TaskPhase | undefined;
  declare loaded: boolean;

  static override styles = [
    base,
    css`
      .filters {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
        align-items: end;
        margin-bottom: 1rem;
      }
      .filters > div {
        min-width: 12rem;
      }
      header {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: 1rem;
        flex-wrap: wrap;
      }
    `,
  ];

  constructor() {
    super();
    this.tasks = [];
    this.orgs = [];
    this.loaded = false;
  }

  private filter(change: { org?: string | undefined; phase?: TaskPhase | undefined }) {
    const next = { org: this.org, phase: this.phase, ...change };
    navigate({
      page: "tasks",
      ...(next.org ? { org: next.org } : {}),
      ...(next.phase ? { phase: next.phase } : {}),
    });
  }

  override render() {
    const shown = this.tasks.filter(
      (t) => (!this.org || t.spec.org === this.org) && (!this.phase || phaseOf(t) === this.phase),
    );
    const value = (e: Event) => (e.target as HTMLSelectElement).value || undefined;
    return html`<header>
        <h1>Tasks</h1>
        <a class="button primary" href="#/schedule${this.org ? `?org=${encodeURIComponent(this.org)}` : ""}">Schedule a task</a>
      </header>
      <div class="filters" role="search" aria-label="Filter tasks">
        <div>
          <label for="org">Org</label>
          <select id="org" @change=${(e: Event) => this.filter({ org: value(e) })}>
            <option value="" ?selected=${!this.org}>All Orgs</option>
            ${this.orgs.map((o) => html`<option value=${o} ?selected=${o === this.org}>${o}</option>`)}
          </select>
        </div>
        <div>
          <label for="phase">Phase</label>
          <select id="phase" @change=${(e: Event) => this.filter({ phase: value(e) as TaskPhase | undefined })}>
            <option value="" ?selected=${!this.phase}>All phases</option>
            ${PHASE_NAMES.map((p) => html`<option value=${p} ?selected=${p === this.phase}>${p}</option>`)}
          </select>
        </div>
        <p class="muted" role="status" aria-live="polite">
          ${this.loaded ? `${shown.length} of ${this.tasks.length} tasks` : "Loading tasks…"}
        </p>
      </div>
      <ay-task-table
        .tasks=${shown}
        caption="Tasks"
        empty=${this.loaded ? "No tasks match these filters." : "Loading…"}
      ></ay-task-table>`;
  }
}
customElements.define("ay-task-list", AyTaskList);
