import type { Caller, Kube, Query, RequestOptions, Verb, WatchEventHandler } from "./kube.ts";
import { Problem, ProblemType } from "./problem.ts";
import type { ResourceAttributes, Reviewer } from "./review.ts";

/**
 * The api acting for one request. With a caller, every action is first authorized with a
 * SubjectAccessReview, so a refusal names the missing verb and resource, and then performed with
 * impersonation, so the API server applies the caller's RBAC once more. Without a caller
 * (--auth=none, the local devcluster only) it acts with the api's own credentials.
 */
export class Actor {
  readonly caller: Caller | undefined;
  private readonly kube: Kube;
  private readonly reviewer: Reviewer | undefined;

  constructor(kube: Kube, reviewer?: Reviewer, caller?: Caller) {
    this.kube = kube;
    this.reviewer = reviewer;
    this.caller = caller;
  }

  /** Who is acting, for logs and idempotency keys. */
  get name(): string {
    return this.caller?.username ?? "system:anonymous-local";
  }

  async authorize(attributes: ResourceAttributes): Promise<void> {
    if (!this.caller || !this.reviewer) return;
    const decision = await this.reviewer.allowed(this.caller, attributes);
    if (decision.allowed) return;
    const because = decision.reason ? ` (${decision.reason})` : "";
    throw new Problem(
      403,
      ProblemType.forbidden,
      `${this.caller.username} may not ${describe(attributes)}${because}; Kubernetes RBAC decides, so ask for a Role or ClusterRole that grants it`,
    );
  }

  request<T>(verb: Verb, path: string, options: Omit<RequestOptions, "as"> = {}): Promise<T> {
    return this.kube.request<T>(verb, path, { ...options, as: this.caller });
  }

  text(path: string, options: Omit<RequestOptions, "as"> = {}): Promise<string> {
    return this.kube.text(path, { ...options, as: this.caller });
  }

  watch(path: string, query: Query, onEvent: WatchEventHandler, signal: AbortSignal): Promise<void> {
    return this.kube.watch(path, query, onEvent, signal, this.caller);
  }
}

/** The cluster-scoped resources the api touches; everything else lives in a namespace. */
const CLUSTER_SCOPED = new Set(["orgs"]);

/** `create agenttasks.agentyard.dev in namespace org-acme`, as RBAC rules are written. */
export function describe({
  verb,
  group,
  resource,
  subresource,
  namespace,
  name,
}: ResourceAttributes): string {
  const what = `${resource}${subresource ? `/${subresource}` : ""}${group ? `.${group}` : ""}`;
  const named = name ? ` ${JSON.stringify(name)}` : "";
  const where = namespace
    ? ` in namespace ${namespace}`
    : CLUSTER_SCOPED.has(resource)
      ? ""
      : " in all namespaces";
  return `${verb} ${what}${named}${where}`;
}
