import { mkdir, rm, writeFile } from "node:fs/promises";
import writeFileAtomic from "write-file-atomic";
import { DevCluster } from "./cluster.ts";
import { installCrds } from "./crds.ts";
import { devFiles, runningDevCluster } from "./dev.ts";
import { settleUninterruptible } from "./uninterruptible.ts";

/**
 * Runs the dev cluster in this process and registers it in .agentyard/dev so that `agentyard dev
 * kubectl` and `dev down` find it. Used by the `dev up` daemon and, in the foreground, by `npm start`.
 */
export interface ServedCluster {
  cluster: DevCluster;
  /** Runs `hook` on Ctrl-C or SIGTERM before the cluster stops (processes that use it stop first). */
  beforeStop(hook: () => Promise<void>): void;
}

export async function serveDevCluster(log: (line: string) => void): Promise<ServedCluster> {
  const files = devFiles();
  if (await runningDevCluster()) {
    throw new Error("a devcluster is already running here: stop it with `agentyard dev down` first");
  }
  await mkdir(files.dir, { recursive: true });
  await writeFile(files.pid, String(process.pid));
  let cluster: DevCluster | undefined;
  let stopping = false;
  // A Ctrl-C stops the start cleanly, even when the step it interrupted failed first: the signal
  // reaches the process group at once, and a child (go, npm) may exit and fail the step before
  // this process runs its handler.
  let interrupted = false;
  const hooks: (() => Promise<void>)[] = [];
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await settleUninterruptible(log);
    for (const hook of hooks.reverse()) {
      await hook().catch((err: Error) => log(`[agentyard] stopping failed: ${err.message}`));
    }
    log("[devcluster] stopping");
    await cluster?.stop();
    await rm(files.info, { force: true });
    await rm(files.pid, { force: true });
    process.exit(interrupted ? 0 : code);
  };
  const onSignal = () => {
    interrupted = true;
    void shutdown(0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    log(`[devcluster] starting the control plane in ${files.clusterDir}`);
    cluster = await DevCluster.start({ name: "agentyard", dir: files.clusterDir, log });
    const crds = await installCrds((args, options) => (cluster as DevCluster).kubectl(args, options));
    log(`[devcluster] installed ${crds.join(", ")}`);
    await writeFileAtomic(files.info, JSON.stringify(cluster.info(), null, 2), { mode: 0o600 });
    return { cluster, beforeStop: (hook) => hooks.push(hook) };
  } catch (err) {
    log(`[devcluster] failed: ${(err as Error).message}`);
    await shutdown(1);
    throw err;
  }
}
