import type { KubectlResult } from "./cluster.ts";

export type Kubectl = (args: string[], options?: { input?: string }) => Promise<KubectlResult>;

/**
 * Server-side apply as `npm start`'s own field manager: what a run applies and the next run leaves
 * out (a flag not given again) is removed from the object.
 */
export async function applyAsDev(kubectl: Kubectl, object: unknown, what: string): Promise<void> {
  const applied = await kubectl(["apply", "--server-side", "--field-manager=agentyard-dev", "-f", "-"], {
    input: JSON.stringify(object),
  });
  if (applied.code !== 0) throw new Error(`applying ${what} failed: ${applied.stderr}`);
}

/** Where the operator of `npm start` takes Org Secrets from: its default --secret-namespaces. */
export const DEMO_SECRET_NAMESPACE = "agentyard-system";

/** A Secret of `npm start`'s demo in DEMO_SECRET_NAMESPACE, the namespace made first if need be. */
export async function applyDemoSecret(
  kubectl: Kubectl,
  name: string,
  stringData: Record<string, string>,
): Promise<void> {
  const what = `the demo Secret ${name}`;
  await applyAsDev(
    kubectl,
    { apiVersion: "v1", kind: "Namespace", metadata: { name: DEMO_SECRET_NAMESPACE } },
    what,
  );
  await applyAsDev(
    kubectl,
    { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: DEMO_SECRET_NAMESPACE }, stringData },
    what,
  );
}
