import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClusterInfo, ClusterUser, KubectlResult } from "./cluster.ts";
import { kubeconfigYaml } from "./kubeconfig.ts";
import { projectRoot } from "./paths.ts";

/**
 * What the api needs on a devcluster, for the tests and the benchmarks alike: its ServiceAccount's
 * kubeconfig (api/rbac.yaml and nothing else), Orgs with their namespaces, and tenants' rights.
 */

export type Kubectl = (
  args: string[],
  options?: { user?: ClusterUser; input?: string },
) => Promise<KubectlResult>;

export async function must(result: Promise<KubectlResult>, what: string): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function apply(kubectl: Kubectl, objects: unknown[]): Promise<void> {
  await must(
    kubectl(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    }),
    "kubectl apply",
  );
}

/**
 * A kubeconfig holding a token of the api's ServiceAccount, bound to api/rbac.yaml and nothing else:
 * running the api with it proves those rights are enough.
 */
export async function apiServiceAccountKubeconfig(
  cluster: ClusterInfo,
  kubectl: Kubectl,
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  await apply(kubectl, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "agentyard-system" } }]);
  await must(kubectl(["apply", "-f", join(projectRoot, "api", "rbac.yaml")]), "applying api/rbac.yaml");
  const token = (
    await must(
      kubectl(["create", "token", "agentyard-api", "-n", "agentyard-system", "--duration=1h"]),
      "TokenRequest",
    )
  ).trim();
  const dir = await mkdtemp(join(tmpdir(), "agentyard-api-"));
  const path = join(dir, "kubeconfig");
  await writeFile(
    path,
    kubeconfigYaml({
      name: cluster.name,
      server: cluster.server,
      ca: cluster.ca,
      user: "agentyard-api",
      token,
    }),
    { mode: 0o600 },
  );
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** An Org and its namespace; without an operator running, the test creates the namespace itself. */
export async function createOrg(
  kubectl: Kubectl,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<string> {
  const namespace = `org-${name}`;
  await apply(kubectl, [
    { apiVersion: "agentyard.dev/v1alpha1", kind: "Org", metadata: { name }, spec },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
  ]);
  return namespace;
}

/** RBAC a tenant needs: read its Org, and `verbs` on agenttasks (and `extra` rules) in its namespace. */
export async function grant(
  kubectl: Kubectl,
  subject: { kind: "User" | "Group"; name: string },
  org: string,
  namespace: string,
  verbs: string[],
  extra: { apiGroups: string[]; resources: string[]; verbs: string[] }[] = [],
): Promise<void> {
  const id = `${subject.name.replace(/[^a-z0-9]/g, "-")}-${org}`;
  const rbac = "rbac.authorization.k8s.io";
  await apply(kubectl, [
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRole",
      metadata: { name: `org-reader-${id}` },
      rules: [
        {
          apiGroups: ["agentyard.dev"],
          resources: ["orgs"],
          resourceNames: [org],
          verbs: ["get", "list", "watch"],
        },
      ],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: `org-reader-${id}` },
      roleRef: { apiGroup: rbac, kind: "ClusterRole", name: `org-reader-${id}` },
      subjects: [{ apiGroup: rbac, ...subject }],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "Role",
      metadata: { name: `tasks-${id}`, namespace },
      rules: [{ apiGroups: ["agentyard.dev"], resources: ["agenttasks"], verbs }, ...extra],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "RoleBinding",
      metadata: { name: `tasks-${id}`, namespace },
      roleRef: { apiGroup: rbac, kind: "Role", name: `tasks-${id}` },
      subjects: [{ apiGroup: rbac, ...subject }],
    },
  ]);
}
