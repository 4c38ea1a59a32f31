import { html, LitElement } from "lit";
import type { Condition } from "../../../schema/index.ts";
import { base } from "../styles.ts";
import "./relative-time.ts";

/** kstatus conditions as a table: type, status, reason, message, and when it last changed. */
export class AyConditionsTable extends LitElement {
  static override properties = { conditions: { attribute: false } };
  declare conditions: Condition[];

  static override styles = base;

  constructor() {
    super();
    this.conditions = [];
  }

  override render() {
    return html`<div class="table-wrap"><table>
      <caption class="visually-hidden">Conditions</caption>
      <thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Changed</th></tr></thead>
      <tbody>
        ${this.conditions.map(
          (c) => html`<tr data-condition=${c.type}>
            <td>${c.type}</td><td>${c.status}</td><td>${c.reason}</td><td>${c.message}</td>
            <td><ay-relative-time datetime=${c.lastTransitionTime}></ay-relative-time></td>
          </tr>`,
        )}
      </tbody>
    </table></div>`;
  }
}
customElements.define("ay-conditions-table", AyConditionsTable);
