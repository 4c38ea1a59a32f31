import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BackoffOptions, ClusterClient } from "@agentyard/kube-runtime";
import { LOCAL_PORTS_ANNOTATION } from "../../schema/contract/index.ts";
import { freePort } from "../ports.ts";
import { ContainerRun } from "./container-run.ts";
import { containerEnv, launchSpec, type Mount, rewriter, SERVICE_ACCOUNT_PATH } from "./container-spec.ts";
import { ConfigError, PodRejection } from "./objects.ts";
import type { ProgramCache } from "./program-cache.ts";
import { findProgram, type ProgramTable } from "./programs.ts";
import { podStatus, rejectedStatus, timestamp } from "./status.ts";
import type { Container, Pod, PodStatus } from "./types.ts";
import { type PodVolumes, prepareVolumes, requestToken } from "./volumes.ts";

const CONFIG_RETRY_MS = 5_000;

export interface PodContext {
  client: ClusterClient;
  programs: ProgramTable;
  prepared: ProgramCache;
  workDir: string;
  /** The one host folder pods may mount (hostPath and claims' volumes); none when undefined. */
  storageDir: string | undefined;
  server: URL;
  /** The cluster's CA, for a ServiceAccount mount that does not project one. */
  ca: string;
  restartBackoff: BackoffOptions;
  /** Asks for another look at this pod (a process ended). */
  wake: () => void;
}

/** The folder of a pod on this machine: volumes/<name>, logs/<container>.log, home. */
export function podDir(workDir: string, uid: string): string {
  return join(workDir, "pods", uid);
}

/** A pod the node agent runs: its folders, ports, tokens and containers. */
export class LocalPod {
  readonly uid: string;
  readonly dir: string;
  private readonly ctx: PodContext;
  private readonly startTime = timestamp();
  private volumes: PodVolumes | undefined;
  private ports: Map<number, number> | undefined;
  private retryAt: number | undefined;
  private rejection: PodRejection | undefined;
  private readonly runs: ContainerRun[];
  private stopping: Promise<void> | undefined;
  private stopped = false;

  constructor(pod: Pod, ctx: PodContext) {
    this.uid = pod.metadata.uid;
    this.ctx = ctx;
    this.dir = podDir(ctx.workDir, this.uid);
    // A pod the node agent ran before it restarted: its containers start again, counted as restarts.
    const previous = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
    this.runs = pod.spec.containers.map((c) => {
      const before = previous.get(c.name);
      const ran =
        before !== undefined && !("waiting" in before.state && !("terminated" in (before.lastState ?? {})));
      return new ContainerRun(c, {
        marker: this.marker(c.name),
        logFile: join(this.dir, "logs", `${c.name}.log`),
        restartCount: (before?.restartCount ?? 0) + (ran ? 1 : 0),
      });
    });
  }

  /**
   * Brings the pod's processes to what its spec asks, and gives the status to report and when to look
   * again. Containers that cannot start say why in their waiting state.
   */
  async sync(pod: Pod): Promise<{ status: PodStatus; nextAt: number | undefined }> {
    const now = Date.now();
    this.retryAt = undefined;
    const ready = await this.setUp(pod);
    if (this.rejection) {
      return { status: rejectedStatus(this.rejection, this.startTime), nextAt: undefined };
    }
    if (ready) {
      await this.refreshTokens(pod, now);
      for (const run of this.runs) {
        run.observe(pod.spec.restartPolicy ?? "Always", pod.metadata.name, this.ctx.restartBackoff);
        if (run.due(now)) await this.start(pod, run);
      }
      await Promise.all(this.runs.map((run) => run.probe(now)));
    }
    const times = [
      this.retryAt,
      ...this.runs.map((r) => r.nextAt()),
      ...(this.volumes?.tokens ?? []).map((t) => t.refreshAt),
    ].filter((t): t is number => t !== undefined);
    return {
      status: podStatus(
        pod,
        this.runs.map((r) => r.status()),
        this.startTime,
        timestamp(),
      ),
      nextAt: times.length ? Math.min(...times) : undefined,
    };
  }

  /** The value that marks every process of one of the pod's containers (see processes.ts). */
  private marker(container: string): string {
    return `${this.ctx.workDir}#${this.uid}/${container}`;
  }

  /** Stops every container: SIGTERM to each, SIGKILL to what is left after the grace period. */
  async stop(graceMs: number): Promise<void> {
    await Promise.all(this.runs.map((r) => r.stop(graceMs)));
  }

  /**
   * For a pod being deleted: starts stopping it (once) without waiting, since the grace period may
   * be long; true once every process is gone (the pod is woken then).
   */
  terminate(graceMs: number): boolean {
    this.stopping ??= this.stop(graceMs).then(() => {
      this.stopped = true;
      this.ctx.wake();
    });
    return this.stopped;
  }

  /**
   * Folders, files, tokens and ports, once; false while they cannot be made (the containers say
   * why) or for good once the pod is rejected.
   */
  private async setUp(pod: Pod): Promise<boolean> {
    if (this.volumes) return true;
    if (this.rejection) return false;
    if (pod.spec.initContainers?.length) {
      for (const run of this.runs) {
        run.wait("CreateContainerConfigError", "init containers cannot run on agentyard-local");
      }
      return false;
    }
    try {
      await mkdir(join(this.dir, "logs"), { recursive: true });
      await mkdir(join(this.dir, "home"), { recursive: true });
      const volumes = await prepareVolumes(
        this.ctx.client,
        pod,
        join(this.dir, "volumes"),
        this.ctx.storageDir,
      );
      await this.ensureCa(pod, volumes);
      this.ports = await this.publishPorts(pod);
      this.volumes = volumes;
      return true;
    } catch (err) {
      if (err instanceof PodRejection) {
        this.rejection = err;
        return false;
      }
      if (!(err instanceof ConfigError)) throw err;
      for (const run of this.runs) run.wait("CreateContainerConfigError", err.message);
      this.retryAt = Date.now() + CONFIG_RETRY_MS;
      return false;
    }
  }

  /** The agent runtime reads ca.crt beside its token; a mount that projects none gets the cluster's. */
  private async ensureCa(pod: Pod, volumes: PodVolumes): Promise<void> {
    const names = new Set(
      pod.spec.containers
        .flatMap((c) => c.volumeMounts ?? [])
        .filter((m) => m.mountPath === SERVICE_ACCOUNT_PATH)
        .map((m) => m.name),
    );
    for (const name of names) {
      const file = join(volumes.dirs.get(name) as string, "ca.crt");
      if (
        await access(file).then(
          () => false,
          () => true,
        )
      )
        await writeFile(file, this.ctx.ca);
    }
  }

  /** A free loopback port for every container port, recorded on the pod for the dashboard and CLI. */
  private async publishPorts(pod: Pod): Promise<Map<number, number>> {
    const ports = new Map<number, number>();
    const named: Record<string, string> = {};
    for (const p of pod.spec.containers.flatMap((c) => c.ports ?? [])) {
      if (!ports.has(p.containerPort)) ports.set(p.containerPort, await freePort());
      named[p.name ?? String(p.containerPort)] = `127.0.0.1:${ports.get(p.containerPort)}`;
    }
    const value = JSON.stringify(named);
    if (ports.size > 0 && pod.metadata.annotations?.[LOCAL_PORTS_ANNOTATION] !== value) {
      await this.ctx.client.request(
        "PATCH",
        `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`,
        {
          contentType: "application/merge-patch+json",
          body: { metadata: { uid: pod.metadata.uid, annotations: { [LOCAL_PORTS_ANNOTATION]: value } } },
        },
      );
    }
    return ports;
  }

  private async refreshTokens(pod: Pod, now: number): Promise<void> {
    for (const token of this.volumes?.tokens ?? []) {
      if (now >= token.refreshAt) await requestToken(this.ctx.client, pod, token);
    }
  }

  private mounts(container: Container): Mount[] {
    return (container.volumeMounts ?? []).flatMap((m) => {
      const dir = this.volumes?.dirs.get(m.name);
      return dir ? [{ mountPath: m.mountPath, dir: m.subPath ? join(dir, m.subPath) : dir }] : [];
    });
  }

  private async start(pod: Pod, run: ContainerRun): Promise<void> {
    const { container } = run;
    const program = findProgram(this.ctx.programs, container.image);
    if (!program) {
      const known = Object.keys(this.ctx.programs).join(", ");
      run.wait(
        "ErrImageNeverPull",
        `image ${container.image} cannot run on agentyard-local (it runs ${known})`,
      );
      return;
    }
    const prepared = this.ctx.prepared.get(program);
    if ("pending" in prepared) {
      run.wait(
        "ContainerCreating",
        `preparing ${container.image} on this machine (see the node agent's log)`,
      );
      return;
    }
    if ("error" in prepared) {
      run.wait("ErrImagePull", `preparing ${container.image} failed: ${prepared.error}`, prepared.retryAt);
      return;
    }
    let vars: Record<string, string>;
    try {
      vars = await containerEnv(this.ctx.client, pod, container);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const retryAt = Date.now() + CONFIG_RETRY_MS;
      run.wait("CreateContainerConfigError", err.message, retryAt);
      this.retryAt = retryAt;
      return;
    }
    const mounts = this.mounts(container);
    const ports = this.ports ?? new Map<number, number>();
    for (const m of mounts) await mkdir(m.dir, { recursive: true });
    const spec = launchSpec(container, {
      program: prepared.ready,
      vars,
      mounts,
      ports,
      server: this.ctx.server,
      home: join(this.dir, "home"),
      cwd: this.dir,
      marker: this.marker(container.name),
    });
    const containerPort = (port: number | string) =>
      typeof port === "number"
        ? port
        : (container.ports?.find((p) => p.name === port)?.containerPort ?? Number(port));
    await run.start(
      spec,
      {
        env: spec.env,
        cwd: spec.cwd,
        rewrite: rewriter(mounts, ports),
        port: (port) => ports.get(containerPort(port)) ?? containerPort(port),
      },
      this.ctx.wake,
    );
  }
}
