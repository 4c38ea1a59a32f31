import { apply, type ClusterClient } from "@agentyard/kube-runtime";
import type { KubeObject } from "../operator/render/object.ts";
import { renderTask } from "../operator/render/task.ts";
import { LABEL_TASK } from "../schema/contract/index.ts";
import { AGENT_TASK_KIND, AgentTaskSchema, API_VERSION, ORG_KIND, OrgSchema } from "../schema/index.ts";

/** A stored-looking Org with the schema's defaults, for the renderers; never sent to the cluster. */
export function fakeOrg(name: string) {
  return OrgSchema.parse({
    apiVersion: API_VERSION,
    kind: ORG_KIND,
    metadata: { name, uid: `${name}-uid` },
    spec: { agent: { image: "agents/bench:1" } },
  });
}

function fakeTask(name: string, namespace: string, org: string) {
  return AgentTaskSchema.parse({
    apiVersion: API_VERSION,
    kind: AGENT_TASK_KIND,
    metadata: { name, namespace, uid: `${name}-uid` },
    spec: { org, prompt: "x" },
  });
}

/**
 * What the operator applies for a task, rendered by its own renderers. Rendered as for an Org's own
 * cluster (labels, no owner references): there is no AgentTask to own them, and the garbage
 * collector would delete children whose owner does not exist.
 */
export function operatorObjectSet(taskName: string, orgName: string): KubeObject[] {
  const org = fakeOrg(orgName);
  const task = fakeTask(taskName, `org-${orgName}`, orgName);
  return renderTask(task, org, { attempt: 1, running: true, editorPassword: "bench", remote: true });
}

/** Baseline (b): the operator's object set, applied in the operator's order by one client. */
export async function applyObjectSet(
  client: ClusterClient,
  taskName: string,
  orgName: string,
): Promise<void> {
  for (const obj of operatorObjectSet(taskName, orgName)) await apply(client, obj);
}

/**
 * Baseline (c): the task's pod, as the Deployment's template would make it, and its Service, with
 * nothing else: the namespace's default ServiceAccount instead of the task's own.
 */
export function podAndService(taskName: string, orgName: string): KubeObject[] {
  const objects = operatorObjectSet(taskName, orgName);
  const deployment = objects.find((o) => o.kind === "Deployment") as KubeObject & {
    spec: { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } };
  };
  const service = objects.find((o) => o.kind === "Service");
  if (!service) throw new Error("the renderers made no Service: is the editor off by default?");
  const { serviceAccountName: _, ...podSpec } = deployment.spec.template.spec;
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: taskName,
      namespace: deployment.metadata.namespace as string,
      labels: deployment.spec.template.metadata.labels,
    },
    spec: podSpec,
  };
  return [pod, service];
}

export async function createPodAndService(client: ClusterClient, taskName: string, orgName: string) {
  for (const obj of podAndService(taskName, orgName)) await apply(client, obj);
}

/** The task a pod runs for, from its label. */
export const podTask = (pod: { metadata?: { labels?: Record<string, string> } }) =>
  pod.metadata?.labels?.[LABEL_TASK];

export const podReady = (pod: { status?: { conditions?: { type: string; status: string }[] } }) =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
