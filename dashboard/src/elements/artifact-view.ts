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
      .pr-state {
        display: inline-block;
        padding: 0 0.45rem;
        border: 1px solid currentColor;
        border-radius: 999px;
        font-size: 0.85em;
        font-weight: 600;
      }
      .pr-state.open {
        color: var(--ay-ok);
      }
      .pr-state.merged {
        color: var(--ay-info);
      }
      .pr-state.closed,
      .pr-error {
        color: var(--ay-bad);
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

  /**
   * The pull request the agent opened: its number, state and page; or why there is none, beside the
   * branch that was pushed all the same; or, on a known forge, where a person opens one.
   */
  private pullRequest(pr: LastPR) {
    if (pr.number !== undefined) {
      const state = pr.state ?? "open";
      return html`<dt>Pull request</dt>
        <dd>
          <span class="pr-state ${state}" data-artifact="pr-state">${state}</span>
          <span data-artifact="pr-number">${`#${pr.number}`}</span>${pr.forge ? html` on ${pr.forge}` : nothing}
          ${pr.url ? html`<br />${this.link(pr.url)}` : nothing}
        </dd>`;
    }
    const error = pr.pullRequestError
      ? html`<dt>Pull request</dt><dd class="pr-error" role="status" data-artifact="pr-error">Not opened: ${pr.pullRequestError}</dd>`
      : nothing;
    const open = pr.url
      ? html`<dt>${pr.pullRequestError ? "Open one" : "Pull request"}</dt><dd>${this.link(pr.url)}</dd>`
      : nothing;
    return html`${error}${open}`;
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
        ${this.pullRequest(pr)}
      </dl>
      ${pr.summary ? html`<div class="summary">${pr.summary}</div>` : nothing}`;
  }
}
customElements.define("ay-artifact-view", AyArtifactView);
