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
