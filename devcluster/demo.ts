import type { KubectlResult } from "./cluster.ts";

type Kubectl = (args: string[], options?: { input?: string }) => Promise<KubectlResult>;

/** The Org `npm start` creates so that `POST /schedule {"org": "demo", ...}` works at once. */
export function demoOrg() {
  return {
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: { name: "demo" },
    spec: { limits: { maxConcurrentTasks: 3 } },
  };
}

export async function ensureDemoOrg(kubectl: Kubectl): Promise<void> {
  const applied = await kubectl(["apply", "--server-side", "--field-manager=agentyard-dev", "-f", "-"], {
    input: JSON.stringify(demoOrg()),
  });
  if (applied.code !== 0) throw new Error(`creating the demo Org failed: ${applied.stderr}`);
}
