import { css, html, LitElement } from "lit";
import type { AgentTask } from "../../../schema/index.ts";
import { phaseOf } from "../phases.ts";
import { href } from "../router.ts";
import { base } from "../styles.ts";
import "./phase-badge.ts";
import "./relative-time.ts";
import "./suspended-badge.ts";

const created = (task: AgentTask) => task.metadata.creationTimestamp ?? "";

/** Tasks as rows, newest first; each links to its detail page. */
export class AyTaskTable extends LitElement {
  static override properties = { tasks: { attribute: false }, empty: {}, caption: {} };
  declare tasks: AgentTask[];
  declare empty: string;
  declare caption: string;

  static override styles = [
    base,
    css`
      td.message {
        max-width: 28rem;
        overflow-wrap: anywhere;
      }
      td.when {
        white-space: nowrap;
      }
      .prompt {
        display: block;
        color: var(--ay-muted);
        font-size: 0.85rem;
        max-width: 22rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      /* A phone: each task a small card, the column names as labels. */
      @media (max-width: 40rem) {
        thead {
          display: none;
        }
        table,
        tbody,
        tr,
        td {
          display: block;
        }
        tr {
          border-bottom: 1px solid var(--ay-border);
          padding: 0.5rem 0;
        }
        td {
          border: 0;
          padding: 0.15rem 0.75rem;
        }
        td[data-label]::before {
          content: attr(data-label) ": ";
          color: var(--ay-muted);
        }
        td.message {
          max-width: none;
        }
      }
    `,
  ];

  constructor() {
    super();
    this.tasks = [];
    this.empty = "No tasks.";
    this.caption = "Tasks";
  }

  override render() {
    if (this.tasks.length === 0) return html`<p class="muted" role="status">${this.empty}</p>`;
    const rows = [...this.tasks].sort((a, b) => created(b).localeCompare(created(a)));
    return html`<div class="table-wrap">
      <table>
        <caption class="visually-hidden">${this.caption}</caption>
        <thead>
          <tr><th scope="col">Task</th><th scope="col">Org</th><th scope="col">Phase</th><th scope="col" class="message">Message</th><th scope="col">Created</th></tr>
        </thead>
        <tbody>
          ${rows.map((task) => {
            const { name = "", namespace = "" } = task.metadata;
            return html`<tr data-task=${`${namespace}/${name}`}>
              <td>
                <a href=${href({ page: "task", namespace, name })}>${name}</a>
                <span class="prompt" title=${task.spec.prompt}>${task.spec.prompt}</span>
              </td>
              <td data-label="Org">${task.spec.org}</td>
              <td data-label="Phase"><ay-phase-badge .phase=${phaseOf(task)}></ay-phase-badge> <ay-suspended-badge .task=${task}></ay-suspended-badge></td>
              <td class="message">${task.status?.message ?? ""}</td>
              <td class="when" data-label="Created"><ay-relative-time datetime=${created(task)}></ay-relative-time></td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }
}
customElements.define("ay-task-table", AyTaskTable);
