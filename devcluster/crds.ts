import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { taskCreatorPolicy } from "../schema/contract/admission.ts";
import type { KubectlResult } from "./cluster.ts";
import { projectRoot } from "./paths.ts";

type Kubectl = (args: string[], options?: { input?: string }) => Promise<KubectlResult>;

/** The name the devcluster gives the objects of schema/contract/admission.ts (the chart: <release>-task-creator). */
export const DEV_ADMISSION_NAME = "agentyard-task-creator";

/**
 * Applies crds/*.yaml with server-side apply and waits until the API server serves them, then the
 * admission policy that keeps AgentTasks' creator annotations true, as the chart installs it.
 */
export async function installCrds(kubectl: Kubectl, dir = join(projectRoot, "crds")): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
  if (files.length === 0) throw new Error(`no CRDs in ${dir}: run \`npm run crds\``);
  const args = ["apply", "--server-side", "--field-manager=agentyard", "--force-conflicts"];
  for (const f of files) args.push("-f", join(dir, f));
  const applied = await kubectl(args);
  if (applied.code !== 0) throw new Error(`installing CRDs failed: ${applied.stderr || applied.stdout}`);
  const names = applied.stdout
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n): n is string => Boolean(n?.startsWith("customresourcedefinition")));
  const waited = await kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]);
  if (waited.code !== 0) throw new Error(`CRDs did not become Established: ${waited.stderr}`);
  const { policy, binding } = taskCreatorPolicy(DEV_ADMISSION_NAME);
  const admitted = await kubectl(
    ["apply", "--server-side", "--field-manager=agentyard", "--force-conflicts", "-f", "-"],
    {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [policy, binding] }),
    },
  );
  if (admitted.code !== 0)
    throw new Error(`installing the admission policy failed: ${admitted.stderr || admitted.stdout}`);
  return names;
}
