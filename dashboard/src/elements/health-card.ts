import { css, html, LitElement } from "lit";
import type { Health } from "../health.ts";
import { base } from "../styles.ts";

/** One component's health: its name, a state word with a coloured mark, and a line of detail. */
export class AyHealthCard extends LitElement {
  static override properties = { name: {}, health: { attribute: false } };
  declare name: string;
  declare health: Health;

  static override styles = [
    base,
    css`
      .state {
        font-weight: 600;
        display: flex;
        align-items: center;
        gap: 0.4rem;
      }
      .dot {
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 50%;
        background: var(--ay-muted);
      }
      .ok .dot {
        background: var(--ay-ok);
      }
      .warn .dot {
        background: var(--ay-warn);
      }
      .bad .dot {
        background: var(--ay-bad);
      }
      h3 {
        margin: 0 0 0.25rem;
        overflow-wrap: anywhere;
      }
      p {
        margin: 0.25rem 0 0;
        overflow-wrap: anywhere;
      }
    `,
  ];

  override render() {
    return html`<div class="card ${this.health.tone}" data-health=${this.health.tone}>
      <h3>${this.name}</h3>
      <div class="state"><span class="dot" aria-hidden="true"></span>${this.health.state}</div>
      <p class="muted">${this.health.detail}</p>
    </div>`;
  }
}
customElements.define("ay-health-card", AyHealthCard);
