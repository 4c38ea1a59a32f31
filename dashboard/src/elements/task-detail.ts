import { css, html, LitElement, nothing } from "lit";
import type { AgentTask } from "../../../schema/index.ts";
import { request, taskUrl } from "../api/client.ts";
import { type ApiProblem, asProblem } from "../api/problem.ts";
import { FetchController } from "../controllers/fetch.ts";
import { isFinal, phaseOf } from "../phases.ts";
import { href, navigate } from "../router.ts";
import { base } from "../styles.ts";
import { type Suspension, suspensionOf } from "../suspension.ts";
import "./artifact-view.ts";
import "./copy-button.ts";
import "./log-tail.ts";
import "./phase-badge.ts";
import "./problem-message.ts";
import "./relative-time.ts";
import "./suspended-badge.ts";
import "./task-timeline.ts";

export interface TaskPermissions {
  cancel: boolean;
  resume: boolean;
  delete: boolean;
}

type Action = "cancel" | "resume" | "delete";

/** The api call behind each button. */
const CALLS: Record<Action, { method: string; sub: string }> = {
  cancel: { method: "POST", sub: "/cancel" },
  resume: { method: "POST", sub: "/resume" },
  delete: { method: "DELETE", sub: "" },
};

/**
 * One task: where it stands, what it produced, its editor, its log and its history, with Cancel,
 * Delete and, while it is suspended, Resume. The live stream keeps `live` current; the task is read
 * once directly so that a link to a task opens before (or without) the stream.
 */
export class AyTaskDetail extends LitElement {
  static override properties = {
    namespace: {},
    name: {},
    live: { attribute: false },
    can: { attribute: false },
    confirming: { state: true },
    busy: { state: true },
    actionProblem: { state: true },
  };
  declare namespace: string;
  declare name: string;
  declare live: AgentTask | undefined;
  declare can: TaskPermissions;
  /** Resume needs no confirmation: it undoes nothing. */
  declare confirming: Exclude<Action, "resume"> | undefined;
  declare busy: boolean;
  declare actionProblem: ApiProblem | undefined;

  private readonly fetched = new FetchController<AgentTask>(this, {
    path: () => (this.name ? taskUrl(this.namespace, this.name) : undefined),
  });

  static override styles = [
    base,
    css`
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem 1rem;
        align-items: center;
        margin-bottom: 1rem;
      }
      header h1 {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .actions {
        margin-left: auto;
        display: flex;
        gap: 0.5rem;
        flex-wrap: wrap;
      }
      .columns {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr));
        margin-bottom: 1rem;
      }
      section {
        margin-bottom: 1rem;
      }
      .prompt {
        white-space: pre-wrap;
        margin: 0;
      }
      .confirm {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        border: 1px solid var(--ay-warn);
        background: var(--ay-warn-bg);
        border-radius: var(--ay-radius);
        padding: 0.6rem 0.8rem;
        margin-bottom: 1rem;
      }
      .message {
        margin: 0 0 1rem;
      }
      .suspended {
        margin: 0 0 0.5rem;
        font-weight: 600;
      }
      .editor {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
    `,
  ];

  constructor() {
    super();
    this.can = { cancel: false, resume: false, delete: false };
    this.busy = false;
  }

  private get task(): AgentTask | undefined {
    return this.live ?? this.fetched.value;
  }

  private async act(action: Action) {
    this.busy = true;
    this.actionProblem = undefined;
    try {
      const { method, sub } = CALLS[action];
      await request(method, taskUrl(this.namespace, this.name, sub));
      this.confirming = undefined;
      if (action === "delete") navigate({ page: "tasks", org: this.task?.spec.org });
      else await this.fetched.reload();
    } catch (err) {
      this.actionProblem = asProblem(err);
    } finally {
      this.busy = false;
    }
  }

  private actions(task: AgentTask, suspension: Suspension | undefined) {
    const final = isFinal(phaseOf(task));
    const cancelled = task.spec.cancel === true;
    const why = (allowed: boolean, verb: string) => (allowed ? "" : `You may not ${verb} tasks in this Org`);
    return html`<div class="actions">
      ${suspension ? this.resumeButton(suspension, why(this.can.resume, "resume")) : nothing}
      <button type="button" class="danger" data-action="cancel"
        ?disabled=${!this.can.cancel || final || cancelled || this.busy}
        title=${why(this.can.cancel, "cancel") || (final ? "The task has finished" : cancelled ? "Cancellation requested" : "")}
        @click=${() => {
          this.confirming = "cancel";
        }}>${cancelled && !final ? "Cancelling…" : "Cancel"}</button>
      <button type="button" class="danger" data-action="delete" ?disabled=${!this.can.delete || this.busy}
        title=${why(this.can.delete, "delete")}
        @click=${() => {
          this.confirming = "delete";
        }}>Delete</button>
    </div>`;
  }

  /** Shown while the task is suspended; disabled from the request until the operator has acted on it. */
  private resumeButton(suspension: Suspension, refused: string) {
    return html`<button type="button" class="primary" data-action="resume"
      ?disabled=${!this.can.resume || suspension.resuming || this.busy}
      title=${refused || (suspension.resuming ? "Resume requested; the operator brings the agent back" : "")}
      @click=${() => this.act("resume")}>${suspension.resuming ? "Resuming…" : "Resume"}</button>`;
  }

  private suspended(suspension: Suspension) {
    return html`<p class="suspended" data-testid="suspension" title=${suspension.message}>
      The agent and its editor are stopped while the task is suspended (${suspension.why}); Resume starts them again.
    </p>`;
  }

  private confirmation() {
    const action = this.confirming;
    if (!action) return nothing;
    const text =
      action === "cancel"
        ? "Cancel this task? The operator stops its agent; a cancelled task cannot be resumed."
        : "Delete this task? Its agent, editor and history are removed.";
    return html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
      <span id="confirm-text">${text}</span>
      <button type="button" class="danger" data-confirm=${action} ?disabled=${this.busy}
        @click=${() => this.act(action)}>${action === "cancel" ? "Cancel task" : "Delete task"}</button>
      <button type="button" @click=${() => {
        this.confirming = undefined;
      }}>Keep it</button>
    </div>`;
  }

  override updated(changed: Map<string, unknown>) {
    // Keyboard users land on the confirmation they asked for.
    if (changed.has("confirming") && this.confirming) {
      (this.renderRoot.querySelector("[data-confirm]") as HTMLElement | null)?.focus();
    }
  }

  override render() {
    const task = this.task;
    if (!task) {
      return html`<h1>${this.name}</h1>
        ${this.fetched.problem ? html`<ay-problem .problem=${this.fetched.problem}></ay-problem>` : html`<p class="muted">Loading…</p>`}`;
    }
    const phase = phaseOf(task);
    const status = task.status ?? {};
    const pr = status.artifacts?.lastPR;
    const suspension = suspensionOf(task);
    return html`<p><a href=${href({ page: "tasks", org: task.spec.org })}>← Tasks of ${task.spec.org}</a></p>
      <header>
        <h1>${this.name}</h1>
        <ay-phase-badge .phase=${phase} data-testid="phase"></ay-phase-badge>
        <ay-suspended-badge .task=${task}></ay-suspended-badge>
        ${this.actions(task, suspension)}
      </header>
      ${status.message ? html`<p class="message" data-testid="message">${status.message}</p>` : nothing}
      ${this.confirmation()}
      ${this.actionProblem ? html`<section><ay-problem .problem=${this.actionProblem}></ay-problem></section>` : nothing}
      <div class="columns">
        <section class="card" aria-labelledby="about">
          <h2 id="about">Task</h2>
          <dl class="facts">
            <dt>Org</dt><dd><a href=${href({ page: "org", name: task.spec.org })}>${task.spec.org}</a></dd>
            <dt>Namespace</dt><dd class="mono">${this.namespace}</dd>
            <dt>Repository</dt><dd class="mono">${task.spec.repo?.url ?? "the Org's"}${task.spec.repo?.branch ? ` @ ${task.spec.repo.branch}` : ""}</dd>
            <dt>Timeout</dt><dd>${task.spec.timeout ?? "1h"}</dd>
            <dt>Attempts</dt><dd>${status.attempts ?? 0} of ${1 + (task.spec.retries ?? 0)}</dd>
            <dt>Created</dt><dd><ay-relative-time datetime=${task.metadata.creationTimestamp ?? ""}></ay-relative-time></dd>
            ${status.startedAt ? html`<dt>Ran for</dt><dd><ay-relative-time mode="elapsed" datetime=${status.startedAt} until=${status.finishedAt ?? ""}></ay-relative-time></dd>` : nothing}
          </dl>
        </section>
        <section class="card" aria-labelledby="prompt">
          <h2 id="prompt">Prompt</h2>
          <p class="prompt">${task.spec.prompt}</p>
        </section>
      </div>
      <section class="card" aria-labelledby="editor">
        <h2 id="editor">Editor</h2>
        ${suspension ? this.suspended(suspension) : nothing}
        ${
          status.editorURL
            ? html`<div class="editor">
              <a href=${status.editorURL} target="_blank" rel="noopener noreferrer" data-testid="editor-url">${status.editorURL}</a>
              <ay-copy-button .text=${status.editorURL} label="Copy editor URL"></ay-copy-button>
            </div>
            <p class="muted">code-server beside the agent; on the tailnet when the Org uses Tailscale.</p>`
            : html`<p class="muted">The editor's address appears once the agent is deployed.</p>`
        }
      </section>
      <section class="card" aria-labelledby="artifact">
        <h2 id="artifact">Last change</h2>
        ${
          pr
            ? html`<ay-artifact-view .pr=${pr}></ay-artifact-view>`
            : html`<p class="muted">The agent has not pushed a change yet.</p>`
        }
      </section>
      <section class="card" aria-labelledby="log">
        <h2 id="log">Agent log</h2>
        <ay-log-tail namespace=${this.namespace} name=${this.name} ?live=${!isFinal(phase)}></ay-log-tail>
      </section>
      <section class="card" aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ay-task-timeline namespace=${this.namespace} name=${this.name}
          revision=${task.metadata.resourceVersion ?? ""} .conditions=${status.conditions ?? []}></ay-task-timeline>
      </section>`;
  }
}
customElements.define("ay-task-detail", AyTaskDetail);
