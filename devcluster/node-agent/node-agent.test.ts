import { describe, expect, it } from "vitest";
import { expand, launchSpec, rewriter } from "./container-spec.ts";
import { tail } from "./logs.ts";
import { MARKER_ENV } from "./processes.ts";
import { defaultPrograms, findProgram, type LocalProgram, localShell } from "./programs.ts";
import { podPhase, podStatus, rejectedStatus, statusCurrent, statusPatch, timestamp } from "./status.ts";
import type { ContainerStatus, Pod } from "./types.ts";

const mounts = [
  { mountPath: "/state", dir: "/work/pods/u/volumes/state" },
  { mountPath: "/state/deep", dir: "/work/pods/u/volumes/deep" },
  { mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", dir: "/work/pods/u/volumes/token" },
];
const ports = new Map([[8443, 40123]]);

describe("rewriter", () => {
  const rewrite = rewriter(mounts, ports);

  it("moves paths under a mount into its folder, the longest mount first", () => {
    expect(rewrite("/state")).toBe("/work/pods/u/volumes/state");
    expect(rewrite("/state/started")).toBe("/work/pods/u/volumes/state/started");
    expect(rewrite("/state/deep/x")).toBe("/work/pods/u/volumes/deep/x");
    expect(rewrite("/stateful")).toBe("/stateful");
    expect(rewrite("relative/state")).toBe("relative/state");
  });

  it("gives container ports' addresses the pod's loopback port", () => {
    expect(rewrite("0.0.0.0:8443")).toBe("127.0.0.1:40123");
    expect(rewrite("http://127.0.0.1:8443/healthz")).toBe("http://127.0.0.1:40123/healthz");
    expect(rewrite("http://localhost:8443")).toBe("http://127.0.0.1:40123");
    expect(rewrite("127.0.0.1:84430")).toBe("127.0.0.1:84430");
    expect(rewrite("0.0.0.0:9000")).toBe("0.0.0.0:9000");
  });

  it("gives the bracketed IPv6 wildcard and loopback addresses the pod's loopback port too", () => {
    // containerboot's TS_LOCAL_ADDR_PORT default: left as it was, every pod's health check took 9002.
    expect(rewrite("[::]:8443")).toBe("127.0.0.1:40123");
    expect(rewrite("http://[::1]:8443/")).toBe("http://127.0.0.1:40123/");
    expect(rewrite("[::]:9000")).toBe("[::]:9000");
  });
});

describe("expand", () => {
  it("replaces $(NAME) with variables defined before and keeps unknown ones; $$ escapes", () => {
    expect(expand("$(A)-$(B)-$$(A)", { A: "1" })).toBe("1-$(B)-$(A)");
  });
});

describe("launchSpec", () => {
  const program = { entrypoint: ["/usr/bin/node", "/repo/agent-image/main.ts"], path: ["/agent/bin"] };
  const base = {
    program,
    mounts,
    ports,
    server: new URL("https://127.0.0.1:6443"),
    home: "/work/pods/u/home",
    cwd: "/work/pods/u",
    marker: "/work#u/agent",
  };

  it("runs the program with the container's args, env made local and the cluster's address", () => {
    const spec = launchSpec(
      { name: "editor", image: "codercom/code-server:4", args: ["--bind-addr", "0.0.0.0:8443", "/state"] },
      { ...base, vars: { AGENTYARD_STATE_DIR: "/state", AGENTYARD_EDITOR_URL: "http://127.0.0.1:8443" } },
    );
    expect(spec.argv).toEqual([
      "/usr/bin/node",
      "/repo/agent-image/main.ts",
      "--bind-addr",
      "127.0.0.1:40123",
      "/work/pods/u/volumes/state",
    ]);
    expect(spec.env).toMatchObject({
      AGENTYARD_STATE_DIR: "/work/pods/u/volumes/state",
      AGENTYARD_EDITOR_URL: "http://127.0.0.1:40123",
      AGENTYARD_SERVICEACCOUNT_DIR: "/work/pods/u/volumes/token",
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: "6443",
      HOME: "/work/pods/u/home",
      [MARKER_ENV]: "/work#u/agent",
    });
    expect(spec.env.PATH?.split(":").slice(0, 1)).toEqual(["/agent/bin"]);
    expect(spec.cwd).toBe("/work/pods/u");
  });

  it("runs a container's own command as a host command instead of the program", () => {
    const spec = launchSpec(
      {
        name: "c",
        image: "agentyard/agent:1",
        command: ["ls", "-l"],
        args: ["$(DIR)/x", "a /state"],
        workingDir: "/state",
      },
      { ...base, vars: { DIR: "/state" } },
    );
    // Only values that start with a mount path are paths to move; a shell line is left as it is.
    expect(spec.argv).toEqual(["ls", "-l", "/work/pods/u/volumes/state/x", "a /state"]);
    expect(spec.cwd).toBe("/work/pods/u/volumes/state");
  });

  it("runs the storage provisioner's helper pod on this machine's shell, in the storage folder itself", () => {
    // As local-path-provisioner v0.0.30 writes it: the storage folder mounted at its own path, with
    // the trailing slash of filepath.Split, and the script from its ConfigMap at /script.
    const volume = "/cluster/local-path/volumes/pvc-1_ns_data";
    const spec = launchSpec(
      {
        name: "helper-pod",
        image: "busybox",
        command: ["/bin/sh", "/script/setup"],
        args: ["-p", volume, "-s", "1048576", "-m", "Filesystem", "-a", "create"],
      },
      {
        ...base,
        program: { entrypoint: ["/bin/sh"] },
        mounts: [
          { mountPath: "/script", dir: "/work/pods/u/volumes/script" },
          { mountPath: "/cluster/local-path/volumes/", dir: "/cluster/local-path/volumes" },
        ],
        vars: { VOL_DIR: volume, VOL_MODE: "Filesystem" },
      },
    );
    expect(spec.argv.slice(0, 4)).toEqual(["/bin/sh", "/work/pods/u/volumes/script/setup", "-p", volume]);
    expect(spec.env.VOL_DIR).toBe(volume);
  });
});

describe("findProgram", () => {
  const agent: LocalProgram = { prepare: async () => ({ entrypoint: ["agent"] }) };
  const special: LocalProgram = { prepare: async () => ({ entrypoint: ["special"] }) };
  const table = { "agentyard/agent": agent, "agentyard/agent-special": special };

  it("matches images by prefix, the longest first, with or without Docker Hub's registry", () => {
    expect(findProgram(table, "agentyard/agent:0.1.0")).toBe(agent);
    expect(findProgram(table, "docker.io/agentyard/agent:0.1.0")).toBe(agent);
    expect(findProgram(table, "agentyard/agent-special:2")).toBe(special);
    expect(findProgram(table, "nginx:1.27")).toBeUndefined();
  });

  it("runs the storage helper's busybox as the local shell", async () => {
    expect(findProgram(defaultPrograms(), "busybox")).toBe(localShell);
    expect(findProgram(defaultPrograms(), "docker.io/library/busybox:1.37")).toBe(localShell);
    expect(await localShell.prepare({ dir: "/unused", log: () => {} })).toEqual({ entrypoint: ["/bin/sh"] });
  });
});

const pod = (restartPolicy?: "Always" | "OnFailure" | "Never"): Pod => ({
  metadata: { name: "p", namespace: "n", uid: "u" },
  spec: { containers: [], ...(restartPolicy ? { restartPolicy } : {}) },
});
const status = (
  state: ContainerStatus["state"],
  lastState: ContainerStatus["lastState"] = {},
): ContainerStatus => ({
  name: "c",
  image: "i",
  imageID: "",
  ready: "running" in state,
  started: "running" in state,
  restartCount: 0,
  state,
  lastState,
});
const t = "2026-01-01T00:00:00Z";
const exited = (exitCode: number) => ({
  terminated: { exitCode, reason: exitCode ? "Error" : "Completed", startedAt: t, finishedAt: t },
});

describe("podPhase", () => {
  it("follows the kubelet", () => {
    expect(podPhase(pod(), [status({ waiting: { reason: "ErrImageNeverPull" } })])).toBe("Pending");
    expect(podPhase(pod(), [status({ running: { startedAt: t } })])).toBe("Running");
    expect(podPhase(pod(), [status({ waiting: { reason: "CrashLoopBackOff" } }, exited(1))])).toBe("Running");
    expect(podPhase(pod("Never"), [status(exited(0))])).toBe("Succeeded");
    expect(podPhase(pod("Never"), [status(exited(2))])).toBe("Failed");
    expect(podPhase(pod("OnFailure"), [status(exited(0))])).toBe("Succeeded");
  });
});

describe("statusCurrent", () => {
  it("compares what we set, whole seconds, and leaves the scheduler's condition alone", () => {
    expect(timestamp(Date.parse("2026-01-01T00:00:00.987Z"))).toBe(t);
    const desired = podStatus(pod(), [status({ running: { startedAt: t } })], t, t);
    const stored = {
      ...structuredClone(desired),
      qosClass: "BestEffort",
      conditions: [...(desired.conditions ?? []), { type: "PodScheduled", status: "True" as const }],
    };
    expect(statusCurrent(stored, desired)).toBe(true);
    const later = podStatus(
      { ...pod(), status: stored },
      [status({ running: { startedAt: t } })],
      t,
      timestamp(),
    );
    expect(statusCurrent(stored, later)).toBe(true);
    expect(statusCurrent(stored, podStatus(pod(), [status(exited(1))], t, t))).toBe(false);
  });
});

describe("rejectedStatus", () => {
  it("fails the pod with the reason and message, as the kubelet's admission does", () => {
    const rejected = rejectedStatus({ reason: "HostPathNotAllowed", message: 'volume "v": no' }, t);
    expect(rejected).toMatchObject({
      phase: "Failed",
      reason: "HostPathNotAllowed",
      message: 'volume "v": no',
    });
    expect(rejected.containerStatuses).toBeUndefined();
    const stored = { ...rejected, qosClass: "BestEffort" };
    expect(statusCurrent(stored, rejected)).toBe(true);
  });
});

describe("statusPatch", () => {
  it("deletes the reason and message of a condition that has none now", () => {
    const ready = podStatus(pod(), [status({ running: { startedAt: t } })], t, t);
    const patch = statusPatch("u", ready);
    expect(patch.metadata.uid).toBe("u");
    expect(patch.status.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "True",
      reason: null,
      message: null,
    });
    const unready = podStatus(pod(), [status({ waiting: { reason: "ContainerCreating" } })], t, t);
    expect(statusPatch("u", unready).status.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
    });
  });
});

describe("tail", () => {
  const log = Buffer.from("a\nb\nc\n");

  it("gives the last lines, at most so many bytes, as kubectl logs --tail and --limit-bytes ask", () => {
    expect(tail(log, undefined, undefined).toString()).toBe("a\nb\nc\n");
    expect(tail(log, 2, undefined).toString()).toBe("b\nc\n");
    expect(tail(log, 1, undefined).toString()).toBe("c\n");
    expect(tail(log, 5, undefined).toString()).toBe("a\nb\nc\n");
    expect(tail(log, 0, undefined).toString()).toBe("");
    expect(tail(log, 2, 3).toString()).toBe("b\nc");
  });
});
