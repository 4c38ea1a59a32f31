import { spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { type ClusterInfo, runKubectl } from "./cluster.ts";
import { alive } from "./component.ts";
import { waitFor } from "./http.ts";
import { devStateDir, projectRoot } from "./paths.ts";

/**
 * `agentyard dev up` runs the cluster in a detached daemon process (devcluster/daemon.ts), so it
 * outlives the command; the files below are how the commands find it again.
 */
export const devFiles = () => {
  const dir = devStateDir();
  return {
    dir,
    clusterDir: join(dir, "cluster"),
    pid: join(dir, "daemon.pid"),
    log: join(dir, "daemon.log"),
    info: join(dir, "cluster.json"),
  };
};

async function daemonPid(): Promise<number | undefined> {
  const text = await readFile(devFiles().pid, "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return pid > 0 && alive(pid) ? pid : undefined;
}

/** The running dev cluster, if `dev up` (or `npm start`) has one up. */
export async function runningDevCluster(): Promise<ClusterInfo | undefined> {
  if ((await daemonPid()) === undefined) return undefined;
  const text = await readFile(devFiles().info, "utf8").catch(() => "");
  return text ? (JSON.parse(text) as ClusterInfo) : undefined;
}

/** Starts the daemon unless one runs; resolves when its cluster is ready and the CRDs are installed. */
export async function devUp(log: (line: string) => void): Promise<ClusterInfo> {
  const running = await runningDevCluster();
  if (running) return running;
  const files = devFiles();
  await mkdir(files.dir, { recursive: true });
  await rm(files.info, { force: true });
  const out = openSync(files.log, "a");
  const daemon = spawn(process.execPath, [join(projectRoot, "devcluster", "daemon.ts")], {
    detached: true,
    stdio: ["ignore", out, out],
    env: process.env,
  });
  daemon.unref();
  const pid = daemon.pid;
  if (pid === undefined) throw new Error("could not start the devcluster daemon");
  log(`[devcluster] starting in the background (pid ${pid}, log ${files.log})`);
  let shown = 0;
  const info = await waitFor(
    "the devcluster to start",
    async () => {
      const text = await readFile(files.log, "utf8").catch(() => "");
      const lines = text.split("\n");
      for (const line of lines.slice(shown, -1)) if (line.startsWith("[devcluster]")) log(line);
      shown = Math.max(shown, lines.length - 1);
      return existsSync(files.info)
        ? (JSON.parse(await readFile(files.info, "utf8")) as ClusterInfo)
        : undefined;
    },
    {
      // The first run builds Kubernetes; the daemon reports progress and fails loudly on its own.
      timeoutMs: 90 * 60_000,
      intervalMs: 500,
      abort: async () => (alive(pid) ? undefined : `the daemon exited (its log: ${files.log})`),
    },
  );
  return info;
}

/** Stops the daemon and waits for its processes to end. Data stays in .agentyard/dev for the next `up`. */
export async function devDown(): Promise<boolean> {
  const pid = await daemonPid();
  if (pid === undefined) return false;
  process.kill(pid, "SIGTERM");
  await waitFor("the devcluster daemon to stop", async () => (alive(pid) ? undefined : true), {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  await rm(devFiles().info, { force: true });
  return true;
}

export async function devKubectl(args: string[]): Promise<number> {
  const info = await runningDevCluster();
  if (!info) throw new Error("no devcluster is running: start one with `agentyard dev up` (or `npm start`)");
  const child = spawn(info.kubectlPath, args, {
    stdio: "inherit",
    env: { ...process.env, KUBECONFIG: info.kubeconfig },
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

export { runKubectl };
