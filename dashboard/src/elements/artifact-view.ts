import { css, html, LitElement, nothing } from "lit";
import type { LastPR } from "../../../schema/index.ts";
import { shortCommit, webLink } from "../format.ts";
import { base } from "../styles.ts";
import "./copy-button.ts";

/** What the agent pushed: the branch, the commit, how much changed, and the pull request. */
export class AyArtifactView extends LitElement {
  static override properties = { pr: { attribute: false } };
  declare pr: LastPR;

  static override styles = [
    base,
    css`
      .add,
      .del {
        font-weight: 600;
      }
      .add {
        color: var(--ay-ok);
      }
      .del {
        color: var(--ay-bad);
      }
      .summary {
        white-space: pre-wrap;
        background: var(--ay-sunken);
        border-radius: var(--ay-radius);
        padding: 0.6rem 0.8rem;
        margin: 0.75rem 0 0;
        max-height: 20rem;
        overflow: auto;
      }
      h3 {
        margin-bottom: 0.5rem;
      }
    `,
  ];

  /** The agent writes the URL: only http(s) becomes a link; anything else is shown as text. */
  private link(url: string) {
    const safe = webLink(url);
    return safe
      ? html`<a href=${safe} target="_blank" rel="noopener noreferrer" data-artifact="url">${safe}</a>`
      : html`<code data-artifact="url">${url}</code>`;
  }

  override render() {
    const pr = this.pr;
    const { files, insertions, deletions } = pr.diffstat;
    return html`<h3 data-artifact="title">${pr.title || "(untitled change)"}</h3>
      <dl class="facts">
        <dt>Branch</dt>
        <dd><code>${pr.base}</code> ← <code data-artifact="branch">${pr.branch}</code></dd>
        <dt>Commit</dt>
        <dd>
          <code data-artifact="commit" title=${pr.commit}>${shortCommit(pr.commit)}</code>
          <ay-copy-button .text=${pr.commit} label="Copy commit"></ay-copy-button>
        </dd>
        <dt>Changes</dt>
        <dd data-artifact="diffstat">
          ${files} file${files === 1 ? "" : "s"}, <span class="add">+${insertions}</span>
          <span class="del">−${deletions}</span>
          <span class="visually-hidden">(${insertions} lines added, ${deletions} removed)</span>
        </dd>
        ${pr.url ? html`<dt>Pull request</dt><dd>${this.link(pr.url)}</dd>` : nothing}
      </dl>
      ${pr.summary ? html`<div class="summary">${pr.summary}</div>` : nothing}`;
  }
}
customElements.define("ay-artifact-view", AyArtifactView);
