import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildOnce, formatElapsed, type Log, runGo, step } from "./go-build.ts";
import { cacheRoot, goModulesDir } from "./paths.ts";

/**
 * Tools the install tests run, each built from a wrapper Go module of its own under
 * devcluster/go/tools/ (never the Kubernetes one: version resolution would mix their client
 * libraries' minors with the control plane's). The versions here must be the ones go.mod pins (a
 * test checks this).
 */
export const TOOLS = {
  helm: { module: "helm.sh/helm/v3", version: "v3.22.0", pkg: "helm.sh/helm/v3/cmd/helm" },
  kubeconform: {
    module: "github.com/yannh/kubeconform",
    version: "v0.8.0",
    pkg: "github.com/yannh/kubeconform/cmd/kubeconform",
  },
  // A program of our own (main.go) around sigs.k8s.io/cli-utils' kstatus.
  kstatus: { module: "sigs.k8s.io/cli-utils", version: "v0.37.2", pkg: "." },
} as const;

export type ToolName = keyof typeof TOOLS;

export const toolModuleDir = (tool: ToolName) => join(goModulesDir, "tools", tool);

/**
 * helm's release builds stamp its version and the Kubernetes version its client libraries speak
 * (which `helm lint` checks deprecations against and `.Capabilities.KubeVersion` defaults to);
 * without them `helm version` says v3.22 and templates see Kubernetes 1.20.
 */
async function ldflags(tool: ToolName): Promise<string> {
  if (tool !== "helm") return "-s -w";
  const goMod = await readFile(join(toolModuleDir(tool), "go.mod"), "utf8");
  const clientGo = /k8s\.io\/client-go v0\.(\d+)\./.exec(goMod);
  if (!clientGo) throw new Error("devcluster/go/tools/helm/go.mod names no k8s.io/client-go version");
  const minor = clientGo[1];
  return [
    "-s -w",
    `-X helm.sh/helm/v3/internal/version.version=${TOOLS.helm.version}`,
    "-X helm.sh/helm/v3/internal/version.gitTreeState=clean",
    ...["pkg/lint/rules", "pkg/chartutil"].flatMap((p) => [
      `-X helm.sh/helm/v3/${p}.k8sVersionMajor=1`,
      `-X helm.sh/helm/v3/${p}.k8sVersionMinor=${minor}`,
    ]),
  ].join(" ");
}

/** Go, the module's files (go.mod, go.sum, sources) and the version name the build. */
async function cacheKey(tool: ToolName): Promise<string> {
  const dir = toolModuleDir(tool);
  const hash = createHash("sha256");
  hash.update((await runGo("go", ["version"], dir)).trim());
  hash.update(await ldflags(tool));
  for (const file of (await readdir(dir)).sort()) hash.update(file).update(await readFile(join(dir, file)));
  return `${tool}-${TOOLS[tool].version}-${hash.digest("hex").slice(0, 12)}`;
}

/** The path of a tool's binary, built into the cache on first use (under a lock, with progress). */
export async function ensureTool(
  tool: ToolName,
  log: Log = (l) => process.stderr.write(`${l}\n`),
): Promise<string> {
  const prefix = `[tools] ${tool}`;
  const target = await buildOnce({
    root: join(cacheRoot(), "tools"),
    key: await cacheKey(tool),
    marker: tool,
    log,
    prefix,
    build: async (dir) => {
      const tmp = `${dir}.partial-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      await mkdir(tmp, { recursive: true });
      const started = Date.now();
      const { pkg, version } = TOOLS[tool];
      log(
        `${prefix}: building ${version} from ${toolModuleDir(tool)} into ${dir} (a cold build takes minutes)`,
      );
      const cwd = toolModuleDir(tool);
      await step(log, prefix, 1, 2, "downloading Go modules", async () => {
        await runGo("go", ["mod", "download"], cwd);
      });
      await step(log, prefix, 2, 2, `building ${tool}`, async (tick) => {
        await runGo(
          "go",
          ["build", "-v", "-trimpath", "-ldflags", await ldflags(tool), "-o", join(tmp, tool), pkg],
          cwd,
          tick,
        );
      });
      await rename(tmp, dir);
      log(`${prefix}: built in ${formatElapsed(Date.now() - started)}`);
    },
  });
  return join(target, tool);
}
