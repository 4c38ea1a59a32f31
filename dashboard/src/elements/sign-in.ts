import { css, html, LitElement, nothing } from "lit";
import { base } from "../styles.ts";

/** Asks for a Kubernetes bearer token; fires `sign-in` with it. The app checks it with the api. */
export class AySignIn extends LitElement {
  static override properties = { notice: {}, busy: { type: Boolean } };
  declare notice: string | undefined;
  declare busy: boolean;

  static override styles = [
    base,
    css`
      :host {
        max-width: 34rem;
        margin: 3rem auto;
      }
      form {
        display: grid;
        gap: 0.9rem;
      }
      .notice {
        border: 1px solid var(--ay-warn);
        background: var(--ay-warn-bg);
        border-radius: var(--ay-radius);
        padding: 0.6rem 0.8rem;
      }
      pre {
        background: var(--ay-sunken);
        padding: 0.5rem;
        border-radius: var(--ay-radius);
        overflow-x: auto;
      }
    `,
  ];

  constructor() {
    super();
    this.busy = false;
  }

  private submit(event: SubmitEvent) {
    event.preventDefault();
    const input = (event.target as HTMLFormElement).elements.namedItem("token") as HTMLInputElement;
    if (!input.value.trim()) {
      input.focus();
      return;
    }
    this.dispatchEvent(new CustomEvent("sign-in", { detail: input.value, bubbles: true, composed: true }));
  }

  override render() {
    return html`<section class="card" aria-labelledby="title">
      <h1 id="title">Sign in</h1>
      <p>The api checks every request with Kubernetes: sign in with a bearer token the cluster accepts.</p>
      ${this.notice ? html`<p class="notice" role="alert">${this.notice}</p>` : nothing}
      <form @submit=${this.submit}>
        <div>
          <label for="token">Kubernetes token</label>
          <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required
            aria-describedby="token-help" />
          <p id="token-help" class="muted">
            Kept in this browser tab only (sessionStorage), and sent to this api alone.
          </p>
        </div>
        <div><button class="primary" type="submit" ?disabled=${this.busy}>Sign in</button></div>
      </form>
      <p class="muted">A token for a ServiceAccount, for example:</p>
      <pre><code>kubectl create token my-user -n my-namespace</code></pre>
    </section>`;
  }
}
customElements.define("ay-sign-in", AySignIn);
