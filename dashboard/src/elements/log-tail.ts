import { css, html, LitElement, nothing } from "lit";
import type { TaskLog } from "../../../schema/rest.ts";
import { taskUrl } from "../api/client.ts";
import { FetchController } from "../controllers/fetch.ts";
import { base } from "../styles.ts";
import "./problem-message.ts";

const TAIL_LINES = 200;
const REFRESH_MS = 3_000;

/** The end of the agent's log, read again every few seconds while the task runs. */
export class AyLogTail extends LitElement {
  static override properties = { namespace: {}, name: {}, live: { type: Boolean } };
  declare namespace: string;
  declare name: string;
  declare live: boolean;

  private readonly log = new FetchController<TaskLog>(this, {
    path: () =>
      this.name ? `${taskUrl(this.namespace, this.name, "/logs")}?tailLines=${TAIL_LINES}` : undefined,
    refreshMs: () => (this.live ? REFRESH_MS : undefined),
  });

  static override styles = [
    base,
    css`
      pre {
        background: var(--ay-sunken);
        border-radius: var(--ay-radius);
        padding: 0.75rem;
        max-height: 24rem;
        overflow: auto;
        margin: 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .bar {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 0.5rem;
        margin-bottom: 0.5rem;
        flex-wrap: wrap;
      }
    `,
  ];

  constructor() {
    super();
    this.live = false;
  }

  private body() {
    const { value, problem } = this.log;
    // 404: no log yet (no pod, no report); say so plainly rather than as an error.
    if (problem?.status === 404) return html`<p class="muted">${problem.message}</p>`;
    if (problem) return html`<ay-problem .problem=${problem}></ay-problem>`;
    if (!value) return html`<p class="muted">Loading…</p>`;
    return html`<pre tabindex="0" aria-label="Agent log" data-log-source=${value.source}>${value.log || "(empty)"}</pre>`;
  }

  override render() {
    const source = this.log.value?.source;
    return html`<div class="bar">
        <span class="muted">
          ${source === "pod" ? `pod ${this.log.value?.pod}, container agent` : nothing}
          ${source === "state" ? "as the agent last reported it (the pod's log is out of reach)" : nothing}
          ${this.live ? " · refreshing" : nothing}
        </span>
        <button type="button" @click=${() => this.log.reload()}>Refresh</button>
      </div>
      ${this.body()}`;
  }
}
customElements.define("ay-log-tail", AyLogTail);
