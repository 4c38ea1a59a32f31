import { css, html, LitElement } from "lit";
import type { TaskPhase } from "../../../schema/index.ts";
import { toneOf } from "../phases.ts";

/** A task's phase as a coloured label; the word carries the meaning, the colour only repeats it. */
export class AyPhaseBadge extends LitElement {
  static override properties = { phase: {} };
  declare phase: TaskPhase;

  static override styles = css`
    :host {
      display: inline-block;
    }
    span {
      display: inline-block;
      padding: 0.05rem 0.55rem;
      border-radius: 999px;
      font-size: 0.8rem;
      font-weight: 600;
      border: 1px solid currentColor;
      white-space: nowrap;
    }
    .ok {
      color: var(--ay-ok);
      background: var(--ay-ok-bg);
    }
    .bad {
      color: var(--ay-bad);
      background: var(--ay-bad-bg);
    }
    .warn {
      color: var(--ay-warn);
      background: var(--ay-warn-bg);
    }
    .info {
      color: var(--ay-info);
      background: var(--ay-info-bg);
    }
    .neutral {
      color: var(--ay-muted);
      background: var(--ay-sunken);
    }
  `;

  override render() {
    return html`<span class=${toneOf(this.phase)} data-phase=${this.phase}>${this.phase}</span>`;
  }
}
customElements.define("ay-phase-badge", AyPhaseBadge);
