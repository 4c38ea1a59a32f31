import { html, LitElement } from "lit";
import { ClockController } from "../controllers/clock.ts";
import { ago, elapsed } from "../format.ts";

/**
 * A moment as people read it — "3 min ago", or how long since `datetime` (until `until`) — that
 * stays true as time passes. The exact time is in the tooltip and the <time> element.
 */
export class AyRelativeTime extends LitElement {
  static override properties = { datetime: {}, until: {}, mode: {} };
  declare datetime: string | undefined;
  declare until: string | undefined;
  declare mode: "ago" | "elapsed";

  constructor() {
    super();
    this.mode = "ago";
    new ClockController(this);
  }

  // Light DOM: the text flows with its surroundings and inherits their styles.
  protected override createRenderRoot() {
    return this;
  }

  override render() {
    if (!this.datetime) return html``;
    const shown = this.mode === "elapsed" ? elapsed(this.datetime, this.until) : ago(this.datetime);
    return html`<time datetime=${this.datetime} title=${this.datetime}>${shown}</time>`;
  }
}
customElements.define("ay-relative-time", AyRelativeTime);
