import { css, html, LitElement, unsafeCSS } from "lit";
import type { TaskPhase } from "../../../schema/index.ts";
import { type Tone, toneOf } from "../phases.ts";

/**
 * Each tone's colour and background, as the page's custom properties. A Record, so the compiler
 * refuses a tone that phases.ts adds and this table does not colour.
 */
const COLOURS: Record<Tone, { color: string; background: string }> = {
  ok: { color: "--ay-ok", background: "--ay-ok-bg" },
  bad: { color: "--ay-bad", background: "--ay-bad-bg" },
  warn: { color: "--ay-warn", background: "--ay-warn-bg" },
  info: { color: "--ay-info", background: "--ay-info-bg" },
  neutral: { color: "--ay-muted", background: "--ay-sunken" },
};

/** A class per tone, named as the tone: the badge's class is its phase's tone. */
const toneClasses = unsafeCSS(
  Object.entries(COLOURS)
    .map(
      ([tone, { color, background }]) => `.${tone} { color: var(${color}); background: var(${background}); }`,
    )
    .join("\n"),
);

/** A pill in a tone's colours, for the badges that say where a task stands. */
export const badgeStyles = css`
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
  ${toneClasses}
`;

/** A task's phase as a coloured label; the word carries the meaning, the colour only repeats it. */
export class AyPhaseBadge extends LitElement {
  static override properties = { phase: {} };
  declare phase: TaskPhase;

  static override styles = badgeStyles;

  override render() {
    return html`<span class=${toneOf(this.phase)} data-phase=${this.phase}>${this.phase}</span>`;
  }
}
customElements.define("ay-phase-badge", AyPhaseBadge);
