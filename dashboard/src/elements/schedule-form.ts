import { css, html, LitElement, nothing } from "lit";
import type { ScheduleResponse } from "../../../schema/rest.ts";
import { request } from "../api/client.ts";
import { type ApiProblem, asProblem, fieldErrors } from "../api/problem.ts";
import { navigate } from "../router.ts";
import { base } from "../styles.ts";
import "./problem-message.ts";

/** The form's inputs, by the path the api names them with in its problem's `errors`. */
const FIELD_OF_PATH: Record<string, string> = {
  org: "org",
  task: "prompt",
  "task.prompt": "prompt",
  "task.repo": "repo-url",
  "task.repo.url": "repo-url",
  "task.repo.branch": "branch",
  "task.timeout": "timeout",
  "task.retries": "retries",
};

export interface ScheduleInput {
  org: string;
  prompt: string;
  repoUrl: string;
  branch: string;
  timeout: string;
  retries: string;
}

/** The body of POST /schedule; empty optional fields are left out so the Org's defaults apply. */
export function scheduleBody(input: ScheduleInput) {
  const repo = {
    ...(input.repoUrl.trim() ? { url: input.repoUrl.trim() } : {}),
    ...(input.branch.trim() ? { branch: input.branch.trim() } : {}),
  };
  return {
    org: input.org,
    task: {
      prompt: input.prompt,
      ...(Object.keys(repo).length > 0 ? { repo } : {}),
      ...(input.timeout.trim() ? { timeout: input.timeout.trim() } : {}),
      ...(input.retries.trim() ? { retries: Number(input.retries) } : {}),
    },
  };
}

/** A random Idempotency-Key; crypto.randomUUID needs a secure context, getRandomValues does not. */
function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** Schedules a task. The api validates; its messages appear next to the fields they name. */
export class AyScheduleForm extends LitElement {
  static override properties = {
    orgs: { attribute: false },
    can: { attribute: false },
    org: {},
    errors: { state: true },
    problem: { state: true },
    busy: { state: true },
  };
  declare orgs: string[];
  /** Per Org: whether the person may create tasks there. */
  declare can: Record<string, boolean>;
  declare org: string | undefined;
  declare errors: Map<string, string[]>;
  declare problem: ApiProblem | undefined;
  declare busy: boolean;
  /** Kept across retries of the same submission, so a retry after a lost answer creates no twin. */
  private key = newKey();

  static override styles = [
    base,
    css`
      form {
        display: grid;
        gap: 1rem;
        max-width: 46rem;
      }
      .row {
        display: grid;
        gap: 1rem;
        grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr));
      }
      .error {
        color: var(--ay-bad);
        margin: 0.25rem 0 0;
        font-weight: 600;
      }
      .hint {
        margin: 0.25rem 0 0;
        font-size: 0.875rem;
      }
      details {
        border: 1px solid var(--ay-border);
        border-radius: var(--ay-radius);
        padding: 0.5rem 0.9rem;
        background: var(--ay-surface);
      }
      summary {
        cursor: pointer;
        font-weight: 600;
        padding: 0.25rem 0;
      }
      details[open] summary {
        margin-bottom: 0.75rem;
      }
      textarea {
        min-height: 8rem;
        resize: vertical;
      }
      .not-allowed {
        color: var(--ay-warn);
        font-weight: 600;
      }
    `,
  ];

  constructor() {
    super();
    this.orgs = [];
    this.can = {};
    this.errors = new Map();
    this.busy = false;
  }

  private get selected(): string | undefined {
    return this.org && this.orgs.includes(this.org)
      ? this.org
      : (this.orgs.find((o) => this.can[o]) ?? this.orgs[0]);
  }

  private input(form: HTMLFormElement): ScheduleInput {
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? "";
    return {
      org: value("org"),
      prompt: value("prompt"),
      repoUrl: value("repo-url"),
      branch: value("branch"),
      timeout: value("timeout"),
      retries: value("retries"),
    };
  }

  private async submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    this.busy = true;
    this.problem = undefined;
    this.errors = new Map();
    try {
      const created = await request<ScheduleResponse>("POST", "/schedule", {
        body: scheduleBody(this.input(form)),
        headers: { "idempotency-key": this.key },
      });
      this.key = newKey();
      navigate({ page: "task", namespace: created.task.namespace, name: created.task.name });
    } catch (err) {
      const problem = asProblem(err);
      const errors = new Map<string, string[]>();
      const rest: string[] = [];
      for (const [path, messages] of fieldErrors(problem.errors)) {
        const field = FIELD_OF_PATH[path];
        if (field) errors.set(field, [...(errors.get(field) ?? []), ...messages]);
        else rest.push(...messages.map((m) => `${path}: ${m}`));
      }
      // A missing Org is about the Org field too.
      if (problem.status === 404) errors.set("org", [problem.message]);
      this.errors = errors;
      // Field errors speak for themselves; anything else (403, 409, outages) is said above the form.
      this.problem = errors.size > 0 && rest.length === 0 ? undefined : problem;
      await this.updateComplete;
      this.focusFirstError();
    } finally {
      this.busy = false;
    }
  }

  private focusFirstError() {
    const first = this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (first) {
      // A field in the closed "Advanced" part is opened first, or focus would land nowhere visible.
      first.closest("details")?.setAttribute("open", "");
      first.focus();
    }
  }

  private field(id: string, label: string, control: unknown, hint?: string) {
    const errors = this.errors.get(id);
    return html`<div>
      <label for=${id}>${label}</label>
      ${control}
      ${hint ? html`<p class="hint muted" id="${id}-hint">${hint}</p>` : nothing}
      ${errors ? html`<p class="error" id="${id}-error" data-error-for=${id}>${errors.join("; ")}</p>` : nothing}
    </div>`;
  }

  private describedBy(id: string, hint = false): string {
    return [hint ? `${id}-hint` : "", this.errors.has(id) ? `${id}-error` : ""].filter(Boolean).join(" ");
  }

  override render() {
    const selected = this.selected;
    const allowed = selected !== undefined && this.can[selected] === true;
    const invalid = (id: string) => (this.errors.has(id) ? "true" : "false");
    return html`<h1>Schedule a task</h1>
      ${this.problem ? html`<p><ay-problem .problem=${this.problem}></ay-problem></p>` : nothing}
      <form novalidate @submit=${this.submit} @input=${() => {
        this.key = newKey();
      }}>
        ${this.field(
          "org",
          "Org",
          html`<select id="org" name="org" aria-invalid=${invalid("org")} aria-describedby=${this.describedBy("org")}
            @change=${(e: Event) => {
              this.org = (e.target as HTMLSelectElement).value;
            }}>
            ${this.orgs.map((o) => html`<option value=${o} ?selected=${o === selected}>${o}${this.can[o] ? "" : " (not allowed)"}</option>`)}
          </select>`,
        )}
        ${
          selected && !allowed
            ? html`<p class="not-allowed" role="status">You may not create tasks in ${selected}: Kubernetes RBAC does not allow it.</p>`
            : nothing
        }
        ${this.field(
          "prompt",
          "Prompt",
          html`<textarea id="prompt" name="prompt" aria-required="true" aria-invalid=${invalid("prompt")}
            aria-describedby=${this.describedBy("prompt", true)}></textarea>`,
          "What the agent should do, as you would brief a colleague.",
        )}
        <div class="row">
          ${this.field(
            "repo-url",
            "Repository URL",
            html`<input id="repo-url" name="repo-url" type="text" inputmode="url" autocomplete="off"
              placeholder="https://git.example.com/team/app.git" aria-invalid=${invalid("repo-url")}
              aria-describedby=${this.describedBy("repo-url", true)} />`,
            "The Org's repository when empty.",
          )}
          ${this.field(
            "branch",
            "Branch",
            html`<input id="branch" name="branch" type="text" autocomplete="off" placeholder="main"
              aria-invalid=${invalid("branch")} aria-describedby=${this.describedBy("branch")} />`,
          )}
        </div>
        <details ?open=${this.errors.has("timeout") || this.errors.has("retries")}>
          <summary>Advanced</summary>
          <div class="row">
            ${this.field(
              "timeout",
              "Timeout",
              html`<input id="timeout" name="timeout" type="text" autocomplete="off" placeholder="1h"
                aria-invalid=${invalid("timeout")} aria-describedby=${this.describedBy("timeout", true)} />`,
              "How long one attempt may run: 30m, 1h30m. 1h when empty.",
            )}
            ${this.field(
              "retries",
              "Retries",
              html`<input id="retries" name="retries" type="number" min="0" max="10" step="1" placeholder="0"
                aria-invalid=${invalid("retries")} aria-describedby=${this.describedBy("retries", true)} />`,
              "Attempts after a failed one, 0 to 10.",
            )}
          </div>
        </details>
        <div>
          <button class="primary" type="submit" ?disabled=${this.busy || !allowed}>
            ${this.busy ? "Scheduling…" : "Schedule"}
          </button>
        </div>
      </form>`;
  }
}
customElements.define("ay-schedule-form", AyScheduleForm);
