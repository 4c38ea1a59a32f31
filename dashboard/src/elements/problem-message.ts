import { css, html, LitElement, nothing } from "lit";
import type { ApiProblem } from "../api/problem.ts";
import { base } from "../styles.ts";

/** What went wrong, said plainly; a 403 says that Kubernetes RBAC refused and what was asked for. */
export class AyProblem extends LitElement {
  static override properties = { problem: { attribute: false } };
  declare problem: ApiProblem | undefined;

  static override styles = [
    base,
    css`
      .box {
        border: 1px solid var(--ay-bad);
        background: var(--ay-bad-bg);
        border-radius: var(--ay-radius);
        padding: 0.75rem 1rem;
      }
      .box.forbidden {
        border-color: var(--ay-warn);
        background: var(--ay-warn-bg);
      }
      strong {
        display: block;
      }
      p,
      ul {
        margin: 0.25rem 0 0;
      }
    `,
  ];

  override render() {
    const problem = this.problem;
    if (!problem) return nothing;
    const heading =
      problem.status === 403
        ? "Not allowed (403)"
        : problem.status === 0
          ? "The api did not answer"
          : `${problem.title} (${problem.status})`;
    return html`<div class="box ${problem.forbidden ? "forbidden" : ""}" role="alert" data-status=${problem.status}>
      <strong>${heading}</strong>
      <p>${problem.message}</p>
      ${
        problem.forbidden
          ? html`<p class="muted">Kubernetes RBAC decides what you may do; ask your cluster admin for a Role that grants it.</p>`
          : nothing
      }
    </div>`;
  }
}
customElements.define("ay-problem", AyProblem);
