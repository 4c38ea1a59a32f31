import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { TaskPhase } from "../../schema/index.ts";

/** Pages live in the URL's fragment: the api serves one page at `/`, and links can be shared. */
export type Route =
  | { page: "overview" }
  | { page: "orgs" }
  | { page: "org"; name: string }
  | { page: "tasks"; org?: string; phase?: TaskPhase }
  | { page: "task"; namespace: string; name: string }
  | { page: "schedule"; org?: string };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const org = params.get("org") || undefined;
  switch (parts[0]) {
    case "orgs":
      return parts[1] ? { page: "org", name: parts[1] } : { page: "orgs" };
    case "tasks": {
      if (parts[1] && parts[2]) return { page: "task", namespace: parts[1], name: parts[2] };
      const phase = (params.get("phase") || undefined) as TaskPhase | undefined;
      return { page: "tasks", ...(org ? { org } : {}), ...(phase ? { phase } : {}) };
    }
    case "schedule":
      return { page: "schedule", ...(org ? { org } : {}) };
    default:
      return { page: "overview" };
  }
}

export function href(route: Route): string {
  const e = encodeURIComponent;
  const query = (params: Record<string, string | undefined>) => {
    const q = new URLSearchParams(Object.entries(params).filter((p): p is [string, string] => Boolean(p[1])));
    return q.size > 0 ? `?${q}` : "";
  };
  switch (route.page) {
    case "overview":
      return "#/";
    case "orgs":
      return "#/orgs";
    case "org":
      return `#/orgs/${e(route.name)}`;
    case "tasks":
      return `#/tasks${query({ org: route.org, phase: route.phase })}`;
    case "task":
      return `#/tasks/${e(route.namespace)}/${e(route.name)}`;
    case "schedule":
      return `#/schedule${query({ org: route.org })}`;
  }
}

/** The current route, following the address bar (links, back and forward). */
export class RouteController implements ReactiveController {
  route: Route = parseRoute(location.hash);
  private readonly host: ReactiveControllerHost;
  private readonly onChange = () => {
    this.route = parseRoute(location.hash);
    this.host.requestUpdate();
  };

  constructor(host: ReactiveControllerHost) {
    this.host = host;
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener("hashchange", this.onChange);
    this.onChange();
  }

  hostDisconnected(): void {
    window.removeEventListener("hashchange", this.onChange);
  }
}

export function navigate(route: Route): void {
  location.hash = href(route);
}
