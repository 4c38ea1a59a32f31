import { css, html, LitElement, nothing } from "lit";
import type { Condition } from "../../../schema/index.ts";
import type { TaskEvent } from "../../../schema/rest.ts";
import { taskUrl } from "../api/client.ts";
import { FetchController } from "../controllers/fetch.ts";
import { base } from "../styles.ts";
import "./problem-message.ts";
import "./relative-time.ts";

interface Entry {
  time: string;
  what: string;
  detail: string;
  tone: "ok" | "bad" | "info" | "neutral";
  source: "condition" | "event";
}

export function timelineEntries(conditions: Condition[], events: TaskEvent[]): Entry[] {
  const entries: Entry[] = [
    ...conditions.map(
      (c): Entry => ({
        time: c.lastTransitionTime,
        what: `${c.type} is ${c.status}${c.reason ? ` (${c.reason})` : ""}`,
        detail: c.message,
        tone: c.type === "Stalled" && c.status === "True" ? "bad" : c.status === "True" ? "ok" : "neutral",
        source: "condition",
      }),
    ),
    ...events.map(
      (e): Entry => ({
        time: e.lastTime ?? e.firstTime ?? "",
        what: `${e.reason}${e.count > 1 ? ` ×${e.count}` : ""}`,
        detail: e.message,
        tone: e.type === "Warning" ? "bad" : "info",
        source: "event",
      }),
    ),
  ];
  return entries.sort((a, b) => a.time.localeCompare(b.time));
}

/** What happened to a task, oldest first: its conditions' transitions and the operator's Events. */
export class AyTaskTimeline extends LitElement {
  static override properties = {
    namespace: {},
    name: {},
    revision: {},
    conditions: { attribute: false },
  };
  declare namespace: string;
  declare name: string;
  /** The task's resourceVersion: every change of the task may come with new Events. */
  declare revision: string;
  declare conditions: Condition[];

  private readonly events = new FetchController<{ items: TaskEvent[] }>(this, {
    path: () => (this.name ? taskUrl(this.namespace, this.name, "/events") : undefined),
    key: () => this.revision,
  });

  static override styles = [
    base,
    css`
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
        border-left: 2px solid var(--ay-border);
      }
      li {
        position: relative;
        padding: 0 0 0.9rem 1.1rem;
      }
      li::before {
        content: "";
        position: absolute;
        left: -0.42rem;
        top: 0.35rem;
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 50%;
        background: var(--ay-muted);
      }
      li.ok::before {
        background: var(--ay-ok);
      }
      li.bad::before {
        background: var(--ay-bad);
      }
      li.info::before {
        background: var(--ay-info);
      }
      .what {
        font-weight: 600;
      }
      .meta {
        font-size: 0.85rem;
      }
      p {
        margin: 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  constructor() {
    super();
    this.conditions = [];
  }

  override render() {
    const events = this.events.value?.items ?? [];
    const entries = timelineEntries(this.conditions, events);
    return html`${this.events.problem ? html`<ay-problem .problem=${this.events.problem}></ay-problem>` : nothing}
      ${
        entries.length === 0
          ? html`<p class="muted">Nothing yet.</p>`
          : html`<ol aria-label="Timeline">
            ${entries.map(
              (e) => html`<li class=${e.tone} data-source=${e.source}>
                <span class="what">${e.what}</span>
                <span class="meta muted">· ${e.source === "event" ? "Event" : "condition"} · <ay-relative-time datetime=${e.time}></ay-relative-time></span>
                ${e.detail ? html`<p>${e.detail}</p>` : nothing}
              </li>`,
            )}
          </ol>`
      }`;
  }
}
customElements.define("ay-task-timeline", AyTaskTimeline);
