import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StateTarget } from "../../agent-image/report.ts";
import { renderTask } from "../../operator/render/task.ts";
import { org as orgFixture, task as taskFixture } from "../../schema/fixtures.test-support.ts";
import { kubectl, sharedCluster } from "./cluster.ts";

export interface AgentAccess {
  /** A directory laid out like the pod's ServiceAccount mount: token, ca.crt, namespace. */
  serviceAccountDir: string;
  token: string;
  /** The task's state ConfigMap, as the runtime addresses it. */
  target: StateTarget;
}

async function must(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * What the operator creates for a task's agent, rendered by the operator's own renderer: the state
 * ConfigMap, the ServiceAccount and the Role/RoleBinding that let it write that ConfigMap only; plus a
 * token of that ServiceAccount (TokenRequest), written where the pod would have it.
 */
export async function agentAccess(namespace: string, task: string, dir: string): Promise<AgentAccess> {
  const objects = renderTask(taskFixture({}, task), orgFixture({ namespace }, "agents"), {
    attempt: 1,
    running: true,
    editorPassword: "unused",
    remote: true,
  }).filter((o) => ["ConfigMap", "ServiceAccount", "Role", "RoleBinding"].includes(o.kind as string));
  await kubectl(["create", "namespace", namespace]);
  await must(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  const token = (await must(["create", "token", `${task}-agent`, "-n", namespace, "--duration=1h"])).trim();
  const cluster = sharedCluster();
  const serviceAccountDir = join(dir, "serviceaccount");
  await mkdir(serviceAccountDir, { recursive: true });
  await writeFile(join(serviceAccountDir, "token"), token);
  await writeFile(join(serviceAccountDir, "ca.crt"), cluster.ca);
  await writeFile(join(serviceAccountDir, "namespace"), namespace);
  const target: StateTarget = {
    server: cluster.server,
    ca: cluster.ca,
    tokenFile: join(serviceAccountDir, "token"),
    namespace,
    name: `${task}-state`,
  };
  return { serviceAccountDir, token, target };
}

/** The data of a ConfigMap, read as the cluster admin. */
export async function configMapData(namespace: string, name: string): Promise<Record<string, string>> {
  const cm = JSON.parse(await must(["get", "configmap", name, "-n", namespace, "-o", "json"]));
  return cm.data ?? {};
}
