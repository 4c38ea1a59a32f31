import { html, LitElement, nothing } from "lit";
import type { AgentTask } from "../../../schema/index.ts";
import { phaseOf } from "../phases.ts";
import { suspensionOf } from "../suspension.ts";
import { badgeStyles } from "./phase-badge.ts";

/**
 * "Suspended" beside the phase of a finished task whose agent is held stopped, with why when it is
 * not spec.suspend (an idle editor). A started task says so by its phase, Suspended, and gets none.
 */
export class AySuspendedBadge extends LitElement {
  static override properties = { task: { attribute: false } };
  declare task: AgentTask | undefined;

  static override styles = badgeStyles;

  override render() {
    const task = this.task;
    const suspension = task && phaseOf(task) !== "Suspended" ? suspensionOf(task) : undefined;
    if (!suspension) return nothing;
    const why = suspension.reason === "Suspended" ? "" : ` · ${suspension.why}`;
    return html`<span class="neutral" data-suspended=${suspension.reason} title=${suspension.message}>Suspended${why}</span>`;
  }
}
customElements.define("ay-suspended-badge", AySuspendedBadge);
