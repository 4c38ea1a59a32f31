import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { goEnv } from "./go-env.ts";
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
}

type Log = (line: string) => void;

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

function run(cmd: string, args: string[], cwd: string, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: goEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      err += text;
      if (err.length > 200_000) err = err.slice(-100_000);
      if (onLine) for (const line of text.split("\n")) if (line.trim()) onLine(line);
    });
    child.on("error", (e) => reject(new Error(`${cmd} could not start: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else
        reject(new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited with ${code}:\n${err.slice(-4000)}`));
    });
  });
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

function binariesIn(dir: string): Binaries {
  return {
    dir,
    kubeApiserver: join(dir, "kube-apiserver"),
    kubeControllerManager: join(dir, "kube-controller-manager"),
    kubeScheduler: join(dir, "kube-scheduler"),
    kubectl: join(dir, "kubectl"),
    etcd: join(dir, "etcd"),
    kwok: join(dir, "kwok"),
    kwokStages: KWOK_STAGES.map((s) => join(dir, "stages", s.split("/").pop() as string)),
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Runs one build step, telling the user what it does and how long it has taken so far. */
async function step(
  log: Log,
  index: number,
  total: number,
  label: string,
  work: (tick: () => void) => Promise<void>,
) {
  const started = Date.now();
  let compiled = 0;
  log(`[devcluster] step ${index}/${total}: ${label}`);
  const ticker = setInterval(() => {
    log(
      `[devcluster]   ... ${label}: ${formatElapsed(Date.now() - started)} elapsed, ${compiled} packages compiled`,
    );
  }, 20_000);
  try {
    await work(() => {
      compiled++;
    });
  } finally {
    clearInterval(ticker);
  }
  log(`[devcluster] step ${index}/${total} done in ${formatElapsed(Date.now() - started)}`);
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
  await step(log, 1, 4, "downloading Go modules", async () => {
    for (const dir of [kube, etcd, kwok]) await run("go", ["mod", "download"], dir);
  });
  await step(log, 2, 4, "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl", (tick) =>
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
  await step(log, 3, 4, "building etcd", (tick) =>
    run(
      "go",
      ["build", "-v", "-trimpath", "-o", join(tmp, "etcd"), "go.etcd.io/etcd/server/v3"],
      etcd,
      tick,
    ).then(() => undefined),
  );
  await step(log, 4, 4, "building kwok", async (tick) => {
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
 * Returns the control-plane binaries, building them on first use. Concurrent callers (test workers,
 * a second terminal) wait on one lock so that only one build runs.
 */
export async function ensureBinaries(log: Log = (l) => process.stderr.write(`${l}\n`)): Promise<Binaries> {
  const key = await cacheKey();
  const binRoot = join(cacheRoot(), "bin");
  const target = join(binRoot, key);
  if (await exists(join(target, "kwok"))) return binariesIn(target);
  await mkdir(binRoot, { recursive: true });
  const release = await lockfile.lock(binRoot, {
    lockfilePath: join(binRoot, `${key}.lock`),
    stale: 60_000,
    update: 10_000,
    retries: { retries: 1_000_000, minTimeout: 1000, maxTimeout: 5000 },
    onCompromised: (err) => log(`[devcluster] build lock lost: ${err.message}`),
  });
  try {
    if (!(await exists(join(target, "kwok")))) await buildAll(target, log);
  } finally {
    await release();
  }
  return binariesIn(target);
}
