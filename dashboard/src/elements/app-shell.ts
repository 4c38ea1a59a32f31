import { css, html, LitElement, nothing } from "lit";
import type { Org } from "../../../schema/index.ts";
import { LiveController } from "../controllers/live.ts";
import { SessionController } from "../controllers/session.ts";
import { href, type Route, RouteController } from "../router.ts";
import { base } from "../styles.ts";
import "./org-detail.ts";
import "./org-list.ts";
import "./overview.ts";
import "./problem-message.ts";
import "./schedule-form.ts";
import "./sign-in.ts";
import "./task-detail.ts";
import "./task-list.ts";

const NAV: { label: string; route: Route; pages: Route["page"][] }[] = [
  { label: "Overview", route: { page: "overview" }, pages: ["overview"] },
  { label: "Orgs", route: { page: "orgs" }, pages: ["orgs", "org"] },
  { label: "Tasks", route: { page: "tasks" }, pages: ["tasks", "task"] },
  { label: "Schedule", route: { page: "schedule" }, pages: ["schedule"] },
];

const orgName = (org: Org) => org.metadata.name as string;

/**
 * The page: sign-in, navigation, who is signed in, and the live data every view shares. Who may
 * watch everything gets one stream of all tasks and Orgs; a tenant gets the stream of one Org,
 * picked in the header.
 */
export class AyApp extends LitElement {
  static override properties = { tenantOrg: { state: true } };
  declare tenantOrg: string | undefined;

  private readonly session = new SessionController(this);
  private readonly router = new RouteController(this);
  private readonly live = new LiveController(this);

  static override styles = [
    base,
    css`
      :host {
        min-height: 100vh;
      }
      .skip {
        position: absolute;
        left: -999px;
      }
      .skip:focus {
        left: 1rem;
        top: 0.5rem;
        z-index: 10;
        background: var(--ay-surface);
        padding: 0.5rem;
      }
      header.top {
        background: var(--ay-surface);
        border-bottom: 1px solid var(--ay-border);
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1.5rem;
        padding: 0.6rem 1.25rem;
      }
      .brand {
        font-weight: 700;
        font-size: 1.1rem;
        color: var(--ay-text);
        text-decoration: none;
        display: flex;
        align-items: center;
        gap: 0.5rem;
      }
      .brand img {
        width: 1.5rem;
        height: 1.5rem;
      }
      nav ul {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        list-style: none;
        margin: 0;
        padding: 0;
      }
      nav a {
        display: block;
        padding: 0.35rem 0.7rem;
        border-radius: var(--ay-radius);
        color: var(--ay-text);
        text-decoration: none;
      }
      nav a[aria-current="page"] {
        background: var(--ay-sunken);
        font-weight: 600;
        box-shadow: inset 0 -2px 0 var(--ay-accent);
      }
      .who {
        margin-left: auto;
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 0.75rem;
      }
      .who select {
        width: auto;
      }
      .who label {
        display: inline;
        margin: 0 0.25rem 0 0;
      }
      .live {
        font-size: 0.85rem;
      }
      .live.live-live {
        color: var(--ay-ok);
      }
      .live.live-failed {
        color: var(--ay-bad);
      }
      main {
        padding: 1.25rem;
        max-width: 80rem;
        margin: 0 auto;
      }
      main:focus {
        outline: none;
      }
      .banner {
        margin-bottom: 1rem;
      }
      @media (max-width: 40rem) {
        header.top {
          padding: 0.5rem 0.75rem;
        }
        main {
          padding: 0.75rem;
        }
        .who {
          margin-left: 0;
        }
      }
    `,
  ];

  private lastPage: string | undefined;
  private lastState: string | undefined;

  /** The Org a tenant's view follows: the one the page is about, else the one picked in the header. */
  private scopeFor(route: Route, orgs: string[]): string | undefined {
    const namespaces = this.session.whoami?.namespaces ?? {};
    const fromRoute =
      "org" in route
        ? route.org
        : route.page === "org"
          ? route.name
          : route.page === "task"
            ? orgs.find((o) => namespaces[o] === route.namespace)
            : undefined;
    const wanted = fromRoute ?? this.tenantOrg;
    return wanted && orgs.includes(wanted) ? wanted : orgs[0];
  }

  override willUpdate() {
    const whoami = this.session.whoami;
    if (this.session.state !== "signed-in" || !whoami) {
      this.live.follow(null);
      return;
    }
    const everything = whoami.can.listOrgs && whoami.can.watchAllTasks;
    const watchable = this.watchable();
    // With nothing to follow, ask for everything anyway: the api's 403 then says what is missing.
    const scope =
      everything || watchable.length === 0 ? undefined : this.scopeFor(this.router.route, watchable);
    if (scope) this.tenantOrg = scope;
    this.live.follow(scope);
  }

  /** The Orgs whose tasks the person may watch: those a tenant's view can follow. */
  private watchable(): string[] {
    const whoami = this.session.whoami;
    return whoami ? whoami.orgs.filter((o) => whoami.can.watch[o]) : [];
  }

  override updated() {
    // A new page, or signing in, moves focus to the content, as a page load would, for keyboard
    // and screen-reader users; otherwise focus would stay where the old content was.
    const state = this.session.state;
    const page = JSON.stringify(this.router.route);
    const signedIn = state === "signed-in" && this.lastState === "signed-out";
    const moved = state === "signed-in" && this.lastPage !== undefined && page !== this.lastPage;
    if (signedIn || moved) this.renderRoot.querySelector<HTMLElement>("main")?.focus();
    this.lastState = state;
    this.lastPage = page;
  }

  private header() {
    const whoami = this.session.whoami;
    const route = this.router.route;
    const watchable = this.watchable();
    const tenant = whoami && !(whoami.can.listOrgs && whoami.can.watchAllTasks) && watchable.length > 0;
    const connection = this.live.connection;
    const said = {
      idle: "",
      connecting: "Connecting…",
      live: "Live",
      retrying: "Reconnecting…",
      failed: "Not live",
    };
    return html`<header class="top">
      <a class="brand" href="#/"><img src="/favicon.svg" alt="" />agentyard</a>
      ${
        whoami
          ? html`<nav aria-label="Main">
            <ul>
              ${NAV.map(
                (item) =>
                  html`<li><a href=${href(item.route)} aria-current=${item.pages.includes(route.page) ? "page" : "false"}>${item.label}</a></li>`,
              )}
            </ul>
          </nav>`
          : nothing
      }
      <div class="who">
        ${whoami ? html`<span class="live live-${connection}" role="status">${said[connection]}</span>` : nothing}
        ${
          tenant
            ? html`<span><label for="scope">Org</label><select id="scope" @change=${(e: Event) => {
                this.tenantOrg = (e.target as HTMLSelectElement).value;
              }}>
              ${watchable.map((o) => html`<option value=${o} ?selected=${o === this.tenantOrg}>${o}</option>`)}
            </select></span>`
            : nothing
        }
        ${
          whoami?.user
            ? html`<span data-testid="identity">Signed in as <strong>${whoami.user.username}</strong></span>
              <button type="button" @click=${() => this.session.signOut()}>Sign out</button>`
            : whoami
              ? html`<span data-testid="identity" class="muted">Authentication off (local)</span>`
              : nothing
        }
      </div>
    </header>`;
  }

  private page() {
    const whoami = this.session.whoami;
    if (!whoami) return nothing;
    const route = this.router.route;
    const loaded = this.live.loaded;
    const tasks = [...this.live.tasks.values()];
    const orgs = [...this.live.orgs.values()].sort((a, b) => orgName(a).localeCompare(orgName(b)));
    const names = [...new Set([...whoami.orgs, ...orgs.map(orgName)])].sort();
    switch (route.page) {
      case "overview":
        return html`<ay-overview .tasks=${tasks} .orgs=${orgs} ?loaded=${loaded}></ay-overview>`;
      case "orgs":
        return html`<ay-org-list .orgs=${orgs} ?loaded=${loaded}></ay-org-list>`;
      case "org":
        return html`<ay-org-detail
          name=${route.name}
          .org=${this.live.orgs.get(route.name)}
          .tasks=${tasks.filter((t) => t.spec.org === route.name)}
          ?canSchedule=${whoami.can.schedule[route.name] === true}
          ?loaded=${loaded}
        ></ay-org-detail>`;
      case "tasks":
        return html`<ay-task-list .tasks=${tasks} .orgs=${names} .org=${route.org} .phase=${route.phase} ?loaded=${loaded}></ay-task-list>`;
      case "task": {
        const task = this.live.tasks.get(`${route.namespace}/${route.name}`);
        const org =
          task?.spec.org ??
          Object.keys(whoami.namespaces).find((o) => whoami.namespaces[o] === route.namespace) ??
          "";
        return html`<ay-task-detail
          namespace=${route.namespace}
          name=${route.name}
          .live=${task}
          .can=${{
            cancel: whoami.can.cancel[org] === true,
            resume: whoami.can.resume[org] === true,
            delete: whoami.can.delete[org] === true,
          }}
        ></ay-task-detail>`;
      }
      case "schedule":
        return html`<ay-schedule-form .orgs=${names} .can=${whoami.can.schedule} .org=${route.org ?? this.tenantOrg}></ay-schedule-form>`;
    }
  }

  override render() {
    const session = this.session;
    let content: unknown;
    if (session.state === "checking")
      content = html`<p class="muted" role="status">Connecting to the api…</p>`;
    else if (session.state === "signed-out")
      content = html`<ay-sign-in .notice=${session.notice} @sign-in=${(e: CustomEvent<string>) => session.signIn(e.detail)}></ay-sign-in>`;
    else if (session.state === "failed")
      content = html`<ay-problem .problem=${session.problem}></ay-problem>`;
    else
      content = html`${
        this.live.problem
          ? html`<div class="banner"><ay-problem .problem=${this.live.problem}></ay-problem></div>`
          : nothing
      }${this.page()}`;
    return html`<a class="skip" href="#main" @click=${(e: Event) => {
      e.preventDefault();
      this.renderRoot.querySelector<HTMLElement>("main")?.focus();
    }}>Skip to content</a>
      ${this.header()}
      <main id="main" tabindex="-1">${content}</main>`;
  }
}
customElements.define("ay-app", AyApp);
