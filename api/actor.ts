import type {
  ClusterClient,
  Impersonation,
  Query,
  RequestOptions,
  Verb,
  WatchEventCallback,
} from "@agentyard/kube-runtime";
import { Problem, ProblemType } from "./problem.ts";
import type { ResourceAttributes, Reviewer } from "./review.ts";

/** Whom the api acts as: the authenticated caller, whose rights Kubernetes checks. */
export type Caller = Impersonation;

/**
 * One caller's whole identity as a key: answers kept for a caller are never another's, even one of
 * the same name with other groups, uid or extras. No caller (--auth=none) is the api itself.
 */
export function callerKey(caller: Caller | undefined): string {
  return caller ? JSON.stringify([caller.username, caller.uid, caller.groups, caller.extra]) : "";
}

/**
 * The api acting for one request. With a caller, every action is first authorized with a
 * SubjectAccessReview, so a refusal names the missing verb and resource, and then performed with
 * impersonation, so the API server applies the caller's RBAC once more. Without a caller
 * (--auth=none, the local devcluster only) it acts with the api's own credentials.
 */
export class Actor {
  readonly caller: Caller | undefined;
  private readonly client: ClusterClient;
  private readonly reviewer: Reviewer | undefined;

  private readonly revalidate: (() => Promise<boolean>) | undefined;

  constructor(
    client: ClusterClient,
    reviewer?: Reviewer,
    caller?: Caller,
    revalidate?: () => Promise<boolean>,
  ) {
    this.client = client;
    this.reviewer = reviewer;
    this.caller = caller;
    this.revalidate = revalidate;
  }

  /**
   * Whether the credential this request came with still authenticates the same caller: a long-lived
   * request (an event stream) asks now and then, and ends once a revoked or expired token is refused.
   */
  stillValid(): Promise<boolean> {
    return this.revalidate ? this.revalidate() : Promise.resolve(true);
  }

  /** Who is acting, for logs, idempotency keys and per-caller limits. */
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
    return this.client.request<T>(verb, path, { ...options, as: this.caller });
  }

  text(path: string, options: Omit<RequestOptions, "as"> = {}): Promise<string> {
    return this.client.text(path, { ...options, as: this.caller });
  }

  /**
   * Watches a collection as the caller until the server ends the watch or `signal` aborts it, and
   * then resolves; rejects with what else ended it (KubeError, KubeUnreachable, a TimeoutError
   * after `inactivityTimeoutMs` without a line).
   */
  watch(
    path: string,
    query: Query,
    onEvent: WatchEventCallback,
    signal: AbortSignal,
    inactivityTimeoutMs: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err: unknown) => (err && !signal.aborted ? reject(err) : resolve());
      this.client
        .watch(path, query, onEvent, done, inactivityTimeoutMs, { as: this.caller })
        .then((controller) => {
          if (signal.aborted) controller.abort();
          else signal.addEventListener("abort", () => controller.abort(), { once: true });
        }, reject);
    });
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
