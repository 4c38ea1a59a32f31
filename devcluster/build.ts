import { createHash } from "node:crypto";
import { cp, mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildOnce, formatElapsed, type Log, runGo as run, step } from "./go-build.ts";
import { ensureLocalPathProvisioner, type LocalPathBinaries } from "./local-path-build.ts";
import { cacheRoot, goModulesDir } from "./paths.ts";
import { ETCD_VERSION, KUBERNETES_VERSION, KWOK_VERSION } from "./versions.ts";

export interface Binaries {
  dir: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  etcd: string;
  kwok: string;
  /** kwok Stage manifests (node and pod lifecycles) copied from the kwok module. */
  kwokStages: string[];
  /** The storage provisioner, built and cached apart (devcluster/local-path-build.ts). */
  localPath: LocalPathBinaries;
}

const KWOK_STAGES = [
  "kustomize/stage/node/fast/node-initialize.yaml",
  "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
  "kustomize/stage/pod/fast/pod-ready.yaml",
  "kustomize/stage/pod/fast/pod-complete.yaml",
  "kustomize/stage/pod/fast/pod-delete.yaml",
];

function kubeLdflags(): string {
  const [, minor] = KUBERNETES_VERSION.slice(1).split(".");
  // Without these, /version says v0.0.0-master and clients that check the server version refuse it.
  return [
    "-s -w",
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    "-X k8s.io/component-base/version.gitMajor=1",
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
    "-X k8s.io/component-base/version.gitTreeState=clean",
    `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
  ].join(" ");
}

async function goVersion(): Promise<string> {
  return (await run("go", ["version"], goModulesDir)).trim();
}

/** The cache key covers everything that changes the binaries: Go, the pinned modules and the flags. */
async function cacheKey(): Promise<string> {
  const hash = createHash("sha256");
  hash.update(await goVersion());
  hash.update(kubeLdflags());
  hash.update(KWOK_STAGES.join());
  for (const mod of ["kube", "etcd", "kwok"]) {
    for (const file of ["go.mod", "go.sum"]) hash.update(await readFile(join(goModulesDir, mod, file)));
  }
  return `${KUBERNETES_VERSION}-etcd${ETCD_VERSION}-kwok${KWOK_VERSION}-${hash.digest("hex").slice(0, 12)}`;
}

function binariesIn(dir: string, localPath: LocalPathBinaries): Binaries {
  return {
    dir,
    kubeApiserver: join(dir, "kube-apiserver"),
    kubeControllerManager: join(dir, "kube-controller-manager"),
    kubeScheduler: join(dir, "kube-scheduler"),
    kubectl: join(dir, "kubectl"),
    etcd: join(dir, "etcd"),
    kwok: join(dir, "kwok"),
    kwokStages: KWOK_STAGES.map((s) => join(dir, "stages", s.split("/").pop() as string)),
    localPath,
  };
}

async function buildAll(target: string, log: Log): Promise<void> {
  const tmp = `${target}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, "stages"), { recursive: true });
  const started = Date.now();
  log(
    `[devcluster] building the control plane (Kubernetes ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION}) into ${target}`,
  );
  log(
    "[devcluster] the first build downloads the Go modules and compiles Kubernetes: expect 5-15 minutes on 2 cores",
  );
  const kube = join(goModulesDir, "kube");
  const etcd = join(goModulesDir, "etcd");
  const kwok = join(goModulesDir, "kwok");
  await step(log, "[devcluster]", 1, 4, "downloading Go modules", async () => {
    for (const dir of [kube, etcd, kwok]) await run("go", ["mod", "download"], dir);
  });
  await step(
    log,
    "[devcluster]",
    2,
    4,
    "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl",
    (tick) =>
      run(
        "go",
        [
          "build",
          "-v",
          "-trimpath",
          "-ldflags",
          kubeLdflags(),
          "-o",
          `${tmp}/`,
          "k8s.io/kubernetes/cmd/kube-apiserver",
          "k8s.io/kubernetes/cmd/kube-controller-manager",
          "k8s.io/kubernetes/cmd/kube-scheduler",
          "k8s.io/kubernetes/cmd/kubectl",
        ],
        kube,
        tick,
      ).then(() => undefined),
  );
  await step(log, "[devcluster]", 3, 4, "building etcd", (tick) =>
    run(
      "go",
      ["build", "-v", "-trimpath", "-o", join(tmp, "etcd"), "go.etcd.io/etcd/server/v3"],
      etcd,
      tick,
    ).then(() => undefined),
  );
  await step(log, "[devcluster]", 4, 4, "building kwok", async (tick) => {
    await run(
      "go",
      ["build", "-v", "-trimpath", "-o", join(tmp, "kwok"), "sigs.k8s.io/kwok/cmd/kwok"],
      kwok,
      tick,
    );
    const moduleDir = (await run("go", ["list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"], kwok)).trim();
    for (const stage of KWOK_STAGES) {
      await cp(join(moduleDir, stage), join(tmp, "stages", stage.split("/").pop() as string));
    }
  });
  await rename(tmp, target);
  log(`[devcluster] control plane built in ${formatElapsed(Date.now() - started)}`);
}

/**
 * Returns the control-plane binaries and the storage provisioner, building them on first use.
 * Concurrent callers (test workers, a second terminal) wait on one lock per build so that only one
 * of each runs.
 */
export async function ensureBinaries(log: Log = (l) => process.stderr.write(`${l}\n`)): Promise<Binaries> {
  const target = await buildOnce({
    root: join(cacheRoot(), "bin"),
    key: await cacheKey(),
    marker: "kwok",
    log,
    prefix: "[devcluster]",
    build: (dir) => buildAll(dir, log),
  });
  return binariesIn(target, await ensureLocalPathProvisioner(log));
}
