import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { KubectlResult } from "./cluster.ts";
import { projectRoot } from "./paths.ts";

type Kubectl = (args: string[]) => Promise<KubectlResult>;

/** Applies crds/*.yaml with server-side apply and waits until the API server serves them. */
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
  return names;
}
