import { css, html, LitElement } from "lit";
import type { Org } from "../../../schema/index.ts";
import { clusterHealth, condition } from "../health.ts";
import { href } from "../router.ts";
import { base } from "../styles.ts";

/** Every Org the person may see, with where its agents run and how busy it is. */
export class AyOrgList extends LitElement {
  static override properties = { orgs: { attribute: false }, loaded: { type: Boolean } };
  declare orgs: Org[];
  declare loaded: boolean;

  static override styles = [
    base,
    css`
      .ok {
        color: var(--ay-ok);
      }
      .bad {
        color: var(--ay-bad);
      }
      td.num,
      th.num {
        text-align: right;
      }
    `,
  ];

  constructor() {
    super();
    this.orgs = [];
    this.loaded = false;
  }

  override render() {
    const body =
      this.orgs.length === 0
        ? html`<p class="muted" role="status">${this.loaded ? "No Orgs you may see." : "Loading…"}</p>`
        : html`<div class="table-wrap"><table>
            <caption class="visually-hidden">Orgs</caption>
            <thead><tr>
              <th scope="col">Org</th><th scope="col">Namespace</th><th scope="col">Cluster</th>
              <th scope="col">Ready</th><th scope="col" class="num">Running</th><th scope="col" class="num">Queued</th>
              <th scope="col" class="num">Limit</th>
            </tr></thead>
            <tbody>
              ${this.orgs.map((org) => {
                const name = org.metadata.name as string;
                const cluster = clusterHealth(org);
                const ready = condition(org.status?.conditions, "Ready");
                return html`<tr data-org=${name}>
                  <td><a href=${href({ page: "org", name })}>${name}</a></td>
                  <td class="mono">${org.status?.namespace ?? org.spec.namespace ?? `org-${name}`}</td>
                  <td><span class=${cluster.tone}>${cluster.state}</span> <span class="muted">${org.status?.cluster ?? ""}</span></td>
                  <td title=${ready?.message ?? ""}>${ready ? `${ready.status === "True" ? "Ready" : ready.reason}` : "—"}</td>
                  <td class="num">${org.status?.tasks?.running ?? 0}</td>
                  <td class="num">${org.status?.tasks?.queued ?? 0}</td>
                  <td class="num">${org.spec.limits?.maxConcurrentTasks ?? "—"}</td>
                </tr>`;
              })}
            </tbody>
          </table></div>`;
    return html`<h1>Orgs</h1>${body}`;
  }
}
customElements.define("ay-org-list", AyOrgList);
