import { KubeError } from "@agentyard/kube-runtime";
import {
  AGENT_CONTAINER,
  agentSelector,
  STATE_KEYS,
  selectorString,
  taskChildNames,
} from "../schema/contract/index.ts";
import type { TaskLog } from "../schema/rest.ts";
import type { Actor } from "./actor.ts";
import { Problem, ProblemType } from "./problem.ts";
import { readTask } from "./resources.ts";

interface Pod {
  metadata: { name: string; creationTimestamp?: string; deletionTimestamp?: string };
}

/**
 * The end of a task's agent log: the container's own log when the kubelet serves it, else the tail
 * the agent keeps in its state ConfigMap (kwok's pods, for one, have no kubelet to ask). Either way
 * the caller's own rights on pods/log or on that ConfigMap decide.
 */
export async function readTaskLog(
  actor: Actor,
  namespace: string,
  name: string,
  tailLines: number,
): Promise<TaskLog> {
  const task = await readTask(actor, namespace, name);
  const cluster = task.status?.cluster ?? "local";
  if (cluster !== "local") {
    throw new Problem(
      501,
      ProblemType.logUnavailable,
      `the agent of task ${namespace}/${name} runs in the Org's cluster (${cluster}); read its log there: kubectl logs -n ${task.status?.namespace ?? namespace} ${task.status?.pod ? `pod/${task.status.pod}` : `deployment/${name}`} -c ${AGENT_CONTAINER}`,
    );
  }
  const agentNamespace = task.status?.namespace ?? namespace;

  let podLogError: string;
  let refusal: Problem | undefined;
  try {
    const fromPod = await podLog(actor, agentNamespace, name, tailLines);
    if (typeof fromPod !== "string") return fromPod;
    podLogError = fromPod;
  } catch (err) {
    if (!(err instanceof Problem) || err.status !== 403) throw err;
    refusal = err;
    podLogError = err.message;
  }

  const tail = await stateLogTail(actor, agentNamespace, name).catch((err: unknown) => {
    // Refused both ways: the pod's refusal names what the caller would normally need.
    if (refusal && err instanceof Problem && err.status === 403) throw refusal;
    throw err;
  });
  if (tail)
    return { source: "state", container: AGENT_CONTAINER, log: lastLines(tail, tailLines), podLogError };
  if (refusal) throw refusal;
  throw new Problem(
    404,
    ProblemType.logUnavailable,
    `no log of task ${namespace}/${name} yet: ${podLogError}; and its agent has not reported a log tail in ConfigMap ${taskChildNames(name).stateConfigMap}`,
  );
}

/** The newest agent pod's log, or why there is none. */
async function podLog(
  actor: Actor,
  namespace: string,
  task: string,
  tailLines: number,
): Promise<TaskLog | string> {
  await actor.authorize({ verb: "list", group: "", resource: "pods", namespace });
  const selector = selectorString(agentSelector(task));
  const pods = await actor.request<{ items: Pod[] }>(
    "GET",
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
    {
      query: { labelSelector: selector },
    },
  );
  const pod = pods.items
    .filter((p) => !p.metadata.deletionTimestamp)
    .sort((a, b) =>
      (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? ""),
    )[0];
  if (!pod) return "the task has no agent pod";
  const podName = pod.metadata.name;
  await actor.authorize({
    verb: "get",
    group: "",
    resource: "pods",
    subresource: "log",
    namespace,
    name: podName,
  });
  try {
    const log = await actor.text(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(podName)}/log`,
      { query: { container: AGENT_CONTAINER, tailLines } },
    );
    return { source: "pod", pod: podName, container: AGENT_CONTAINER, log };
  } catch (err) {
    // The API server proxies the log from the node's kubelet; a node without one answers 5xx.
    if (err instanceof KubeError && err.code !== 403) {
      return `the log of pod ${podName} is not available: ${err.status.message}`;
    }
    throw err;
  }
}

async function stateLogTail(actor: Actor, namespace: string, task: string): Promise<string | undefined> {
  const name = taskChildNames(task).stateConfigMap;
  await actor.authorize({ verb: "get", group: "", resource: "configmaps", namespace, name });
  try {
    const map = await actor.request<{ data?: Record<string, string> }>(
      "GET",
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
    );
    return map.data?.[STATE_KEYS.logTail] || undefined;
  } catch (err) {
    if (err instanceof KubeError && err.code === 404) return undefined;
    throw err;
  }
}

export function lastLines(text: string, count: number): string {
  const lines = text.split("\n");
  const trailing = lines.at(-1) === "" ? 1 : 0;
  return lines.slice(Math.max(0, lines.length - trailing - count)).join("\n");
}
