import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runGo } from "./go-build.ts";
import { goModulesDir } from "./paths.ts";
import { GITEA_VERSION } from "./versions.ts";

export const GITEA_MODULE = "code.gitea.io/gitea";
export const GITEA_MODULE_DIR = join(goModulesDir, "gitea");

/**
 * Gitea's own `replace` directives, one line each, sorted: a requiring module does not inherit them,
 * and without them Go picks newer versions that Gitea's go.mod steers around. Local paths are left
 * out: they point into Gitea's own tree.
 */
export function giteaReplaces(giteaGoMod: string): string[] {
  const found = new Set<string>();
  for (const match of giteaGoMod.matchAll(/^(?:replace\s+|\t)(\S+)(?: \S+)? => (\S+) (v\S+)/gm)) {
    found.add(`${match[1]} => ${match[2]} ${match[3]}`);
  }
  return [...found].sort();
}

export function replaceBlock(replaces: string[]): string {
  return `replace (\n${replaces.map((r) => `\t${r}`).join("\n")}\n)\n`;
}

/** The replace block as it stands in a go.mod file, for comparison. */
export function currentReplaceBlock(goMod: string): string {
  return /^replace \(\n[\s\S]*?^\)\n/m.exec(goMod)?.[0] ?? "";
}

/** Downloads Gitea's go.mod (only the .mod file is fetched). */
export async function giteaGoMod(version = GITEA_VERSION): Promise<string> {
  const info = JSON.parse(
    await runGo("go", ["mod", "download", "-json", `${GITEA_MODULE}@${version}`], GITEA_MODULE_DIR),
  );
  return readFile(info.GoMod, "utf8");
}

/** Rewrites devcluster/go/gitea/go.mod for GITEA_VERSION and lets Go resolve the rest. */
export async function regenerateGiteaGoMod(): Promise<void> {
  const upstream = await giteaGoMod(GITEA_VERSION);
  const goLine = /^go \S+$/m.exec(upstream)?.[0] ?? "go 1.26.0";
  const header = `module agentyard.dev/devcluster/gitea\n\n${goLine}\n\n`;
  await writeFile(join(GITEA_MODULE_DIR, "go.mod"), header + replaceBlock(giteaReplaces(upstream)));
  await runGo("go", ["get", `${GITEA_MODULE}@${GITEA_VERSION}`], GITEA_MODULE_DIR);
  await runGo("go", ["mod", "tidy"], GITEA_MODULE_DIR);
}
