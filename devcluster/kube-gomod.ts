import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runGo } from "./go-build.ts";
import { goModulesDir } from "./paths.ts";
import { KUBERNETES_VERSION, stagingVersion } from "./versions.ts";

export const KUBE_MODULE_DIR = join(goModulesDir, "kube");

/** `k8s.io/X` for every `k8s.io/X => ./staging/src/k8s.io/X` line of k8s.io/kubernetes's go.mod. */
export function stagingModules(kubernetesGoMod: string): string[] {
  const found = new Set<string>();
  for (const match of kubernetesGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\/src\/\1\s*$/gm)) {
    found.add(match[1] as string);
  }
  return [...found].sort();
}

/** The replace block that points each staging module at its published release. */
export function replaceBlock(modules: string[], version: string): string {
  const v = stagingVersion(version);
  return `replace (\n${modules.map((m) => `\t${m} => ${m} ${v}`).join("\n")}\n)\n`;
}

/** The replace block as it stands in a go.mod file, for comparison. */
export function currentReplaceBlock(goMod: string): string {
  const match = /^replace \(\n[\s\S]*?^\)\n/m.exec(goMod);
  return match ? match[0] : "";
}

/** Downloads k8s.io/kubernetes's go.mod (small and quick: only the .mod file is fetched). */
export async function kubernetesGoMod(version = KUBERNETES_VERSION): Promise<string> {
  const info = JSON.parse(
    await runGo("go", ["mod", "download", "-json", `k8s.io/kubernetes@${version}`], KUBE_MODULE_DIR),
  );
  return readFile(info.GoMod, "utf8");
}

/** Rewrites devcluster/go/kube/go.mod for KUBERNETES_VERSION and lets Go resolve the rest. */
export async function regenerateKubeGoMod(): Promise<void> {
  const modules = stagingModules(await kubernetesGoMod(KUBERNETES_VERSION));
  const header = "module agentyard.dev/devcluster/kube\n\ngo 1.26.0\n\n";
  await writeFile(join(KUBE_MODULE_DIR, "go.mod"), header + replaceBlock(modules, KUBERNETES_VERSION));
  await runGo("go", ["get", `k8s.io/kubernetes@${KUBERNETES_VERSION}`], KUBE_MODULE_DIR);
  await runGo("go", ["mod", "tidy"], KUBE_MODULE_DIR);
}
