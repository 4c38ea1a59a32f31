import { KubeError } from "@agentyard/kube-runtime";
import {
  ANNOTATION_CREATED_BY,
  ANNOTATION_CREATED_BY_UID,
  agentPodName,
  LABEL_ORG,
  tailnetHostname,
  taskChildNames,
} from "../../schema/contract/index.ts";
import {
  AGENT_TASK_KIND,
  type AgentTask,
  type AgentTaskSpecInput,
  API_VERSION,
  keepsWarmPool,
  type Org,
  orgNamespace,
} from "../../schema/index.ts";
import type { ScheduleRequest, ScheduleResponse } from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import { IDEMPOTENCY_ANNOTATION, idempotentTaskName, requestHash } from "../idempotency.ts";
import { PREFIXES } from "../prefixes.ts";
import { Problem, ProblemType } from "../problem.ts";
import type { RecentOrgs } from "../recent-orgs.ts";
import { readTask, taskAttributes, taskPath } from "../resources.ts";

/** Tasks the api creates without an Idempotency-Key get a name the API server completes. */
const GENERATE_NAME = "task-";

/** What an Idempotency-Key decides: the name every retry creates, and the hash of the request it was first sent with. */
export interface Idempotency {
  name: string;
  hash: string;
}

/** The task's spec as the caller sent it; a bare prompt is the MVP's short form. */
function specOf(request: ScheduleRequest): Omit<AgentTaskSpecInput, "org"> {
  return typeof request.task === "string" ? { prompt: request.task } : request.task;
}

export function idempotencyOf(caller: string, key: string, request: ScheduleRequest): Idempotency {
  return {
    name: idempotentTaskName(caller, key),
    hash: requestHash({ org: request.org, task: specOf(request) }),
  };
}

/** Who schedules: the caller's username and, when their authenticator gives one, uid. */
export interface Creator {
  username: string;
  uid?: string | undefined;
}

function creatorAnnotations(creator: Creator | undefined): Record<string, string> {
  if (!creator) return {};
  return {
    [ANNOTATION_CREATED_BY]: creator.username,
    ...(creator.uid ? { [ANNOTATION_CREATED_BY_UID]: creator.uid } : {}),
  };
}

/** The AgentTask a schedule creates in its Org's namespace, recording who created it. */
export function taskManifest(
  request: ScheduleRequest,
  namespace: string,
  creator: Creator | undefined,
  idempotency?: Idempotency,
) {
  return {
    apiVersion: API_VERSION,
    kind: AGENT_TASK_KIND,
    metadata: {
      ...(idempotency
        ? {
            name: idempotency.name,
            annotations: { ...creatorAnnotations(creator), [IDEMPOTENCY_ANNOTATION]: idempotency.hash },
          }
        : { generateName: GENERATE_NAME, annotations: creatorAnnotations(creator) }),
      namespace,
      labels: { [LABEL_ORG]: request.org },
    },
    spec: { org: request.org, ...specOf(request) },
  };
}

/**
 * The task found under an Idempotency-Key's name: the retry of the same request by the same caller
 * gets it back; a key reused for another request is refused. The name is predictable, so anyone who
 * may create tasks in the namespace can take it first: a task its caller did not create is refused
 * without telling what it holds. The admission policy of schema/contract/admission.ts keeps the
 * annotations true, so they cannot be written in someone else's name.
 */
export function retriedTask(existing: AgentTask, hash: string, creator: Creator | undefined): AgentTask {
  const annotations = existing.metadata.annotations ?? {};
  if (
    creator &&
    (annotations[ANNOTATION_CREATED_BY] !== creator.username ||
      (annotations[ANNOTATION_CREATED_BY_UID] ?? "") !== (creator.uid ?? ""))
  ) {
    throw new Problem(
      409,
      ProblemType.conflict,
      `the task name this Idempotency-Key gives (${existing.metadata.name}) is taken by a task that ${creator.username} did not schedule; send another Idempotency-Key`,
    );
  }
  if (annotations[IDEMPOTENCY_ANNOTATION] === hash) return existing;
  throw new Problem(
    422,
    ProblemType.idempotencyMismatch,
    `this Idempotency-Key was already used for another request (task ${existing.metadata.namespace}/${existing.metadata.name}); send a new key for a new request`,
  );
}

function taskLinks(namespace: string, name: string, org: string): ScheduleResponse["links"] {
  const self = `${PREFIXES.tasks}/${namespace}/${name}`;
  return {
    self,
    logs: `${self}/logs`,
    cancel: `${self}/cancel`,
    events: `${PREFIXES.events}?org=${encodeURIComponent(org)}`,
  };
}

/** "local", or the Secret holding the Org's kubeconfig, as the operator reports it. */
function orgCluster(org: Org): string {
  if (org.status?.cluster) return org.status.cluster;
  const ref = org.spec.cluster?.kubeconfigSecretRef;
  return ref ? `${ref.namespace}/${ref.name}` : "local";
}

/** The name the editor will answer to: on the tailnet when the Org uses Tailscale, else in-cluster DNS. */
function editorHostname(task: AgentTask, org: Org): string {
  const mesh = org.spec.mesh;
  if (mesh?.provider === "tailscale") {
    const host = tailnetHostname(task, org);
    return mesh.tailnetDomain ? `${host}.${mesh.tailnetDomain}` : host;
  }
  return `${taskChildNames(task.metadata.name as string).service}.${orgNamespace(org)}.svc.cluster.local`;
}

/** The MVP's answer to a schedule, now read off the created AgentTask and its Org. */
export function scheduleResponse(task: AgentTask, org: Org): ScheduleResponse {
  const name = task.metadata.name as string;
  const namespace = task.metadata.namespace as string;
  const children = taskChildNames(name);
  return {
    task: { name, namespace, uid: task.metadata.uid as string },
    org: org.metadata.name as string,
    cluster: orgCluster(org),
    agent: {
      // An Org with a warm pool runs the task in whichever member it binds: status.pod names it.
      ...(org.spec.agent.workload === "Pod"
        ? keepsWarmPool(org)
          ? {}
          : { pod: agentPodName(name, 1) }
        : { deployment: children.deployment }),
      service: children.service,
      editorHostname: editorHostname(task, org),
    },
    links: taskLinks(namespace, name, org.metadata.name as string),
  };
}

/**
 * Creates the task as the caller in the Org's namespace. With an Idempotency-Key every retry
 * creates the same name, so the API server lets exactly one create win and the others find it.
 * The Org is the one the caller read lately (recent-orgs.ts says why that is safe), read anew
 * after a create that failed.
 */
export async function scheduleTask(
  actor: Actor,
  orgs: RecentOrgs,
  request: ScheduleRequest,
  idempotencyKey: string | undefined,
): Promise<ScheduleResponse> {
  const org = await orgs.read(actor, request.org);
  const namespace = orgNamespace(org);
  // The operator would cancel it at once (OrgDeleted): a caller is better told why now.
  if (org.metadata.deletionTimestamp) {
    throw new Problem(
      409,
      ProblemType.conflict,
      `org ${request.org} is being deleted: it takes no new tasks`,
    );
  }
  await actor.authorize(taskAttributes("create", namespace));
  const idempotency = idempotencyKey ? idempotencyOf(actor.name, idempotencyKey, request) : undefined;
  // With --auth=none there is one caller, the api itself, and no identity of a caller to record.
  const creator: Creator | undefined = actor.caller
    ? { username: actor.caller.username, uid: actor.caller.uid }
    : undefined;

  let created: AgentTask;
  try {
    created = await actor.request<AgentTask>("POST", taskPath(namespace), {
      body: taskManifest(request, namespace, creator, idempotency),
    });
  } catch (err) {
    orgs.forget(actor, request.org);
    if (!(err instanceof KubeError)) throw err;
    if (idempotency && err.code === 409 && err.status.reason === "AlreadyExists") {
      created = retriedTask(await readTask(actor, namespace, idempotency.name), idempotency.hash, creator);
    } else if (err.code === 404 && err.status.details?.kind === "namespaces") {
      throw new Problem(
        409,
        ProblemType.conflict,
        `namespace ${namespace} of org ${request.org} does not exist yet: the operator creates it when it reconciles the Org; retry shortly`,
        { headers: { "retry-after": "5" } },
      );
    } else {
      throw err;
    }
  }
  return scheduleResponse(created, org);
}
