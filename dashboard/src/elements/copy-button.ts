import { css, html, LitElement } from "lit";
import { base } from "../styles.ts";

/** Copies a text to the clipboard and says so to screen readers too. */
export class AyCopyButton extends LitElement {
  static override properties = { text: {}, label: {}, copied: { state: true } };
  declare text: string;
  declare label: string;
  declare copied: boolean;

  static override styles = [
    base,
    css`
      :host {
        display: inline-block;
      }
      button {
        padding: 0.25rem 0.6rem;
        min-height: 2rem;
      }
    `,
  ];

  constructor() {
    super();
    this.label = "Copy";
    this.copied = false;
  }

  private async copy() {
    try {
      await navigator.clipboard.writeText(this.text);
    } catch {
      // The Clipboard API needs a secure context; a dashboard on plain http elsewhere falls back.
      const area = document.createElement("textarea");
      area.value = this.text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    this.copied = true;
    setTimeout(() => {
      this.copied = false;
    }, 2000);
  }

  override render() {
    return html`<button type="button" @click=${this.copy} aria-label="${this.label}: ${this.text}">
        ${this.copied ? "Copied" : this.label}
      </button>
      <span class="visually-hidden" role="status">${this.copied ? "Copied to the clipboard" : ""}</span>`;
  }
}
customElements.define("ay-copy-button", AyCopyButton);
