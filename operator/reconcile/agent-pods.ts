import { createIfAbsent, deleteIfExists, getIfExists } from "@agentyard/kube-runtime";
import type { KubernetesObject } from "@kubernetes/client-node";
import { taskChildNames } from "../../schema/contract/index.ts";
import type { AgentTask, AgentWorkload } from "../../schema/index.ts";
import type { OrgCluster } from "../clusters.ts";
import type { KubeObject } from "../render/object.ts";
import type { AgentPodPlan } from "./agent-pod-plan.ts";
import { isChildOf, objectRef } from "./children.ts";

/**
 * Deletes what the workload no longer wants, before anything is applied (so that a Deployment's
 * ReplicaSet never finds a bare pod of the task to adopt): the pods the plan lets go (planned from
 * the task's own pods only), and, for a bare Pod, the Deployment an earlier workload left if it is
 * the task's own (isChildOf); each conditioned on the uid it checked.
 */
export async function removeStaleWorkload(
  cluster: OrgCluster,
  task: AgentTask,
  workload: AgentWorkload,
  plan: AgentPodPlan,
  signal: AbortSignal,
): Promise<void> {
  for (const { pod, force } of plan.delete) {
    await deleteIfExists(cluster.client, objectRef("v1", "Pod", cluster.namespace, pod.metadata?.name), {
      uid: pod.metadata?.uid as string,
      ...(force ? { gracePeriodSeconds: 0 } : {}),
      signal,
    });
  }
  if (workload !== "Pod") return;
  const name = taskChildNames(task.metadata.name as string).deployment;
  const deployment = cluster.children.deployments.get(cluster.namespace, name);
  if (!deployment || !isChildOf(deployment, task)) return;
  await deleteIfExists(cluster.client, objectRef("apps/v1", "Deployment", cluster.namespace, name), {
    uid: deployment.metadata?.uid as string,
    signal,
  });
}

/**
 * Creates the attempt's bare Pod. A pod of its name that is there already is the task's own, not yet
 * in the cache, unless its labels say otherwise: then the name is taken, and only a person can free it.
 */
export async function createAgentPod(
  cluster: OrgCluster,
  task: AgentTask,
  pod: KubeObject,
  signal: AbortSignal,
): Promise<void> {
  if (await createIfAbsent(cluster.client, pod, { signal })) return;
  const live = await getIfExists<KubernetesObject>(cluster.client, pod, { signal });
  if (live && !isChildOf(live, task)) {
    throw new Error(
      `pod ${cluster.namespace}/${pod.metadata.name} exists and is not this task's (its labels name another task, or none): delete it, and the agent starts`,
    );
  }
}
