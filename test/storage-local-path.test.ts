import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevCluster } from "../devcluster/cluster.ts";
import { alive } from "../devcluster/component.ts";
import { waitFor } from "../devcluster/http.ts";
import { LOCAL_PATH } from "../devcluster/local-path.ts";
import {
  LOCAL_LABEL,
  LOCAL_TAINT,
  localShell,
  type NodeAgent,
  startNodeAgent,
} from "../devcluster/node-agent/index.ts";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../devcluster/node-agent/types.ts";
import { kubectl, mustKubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

/**
 * The devcluster's storage, end to end: the scheduler's volume binding, rancher's
 * local-path-provisioner and its helper pods, run for real by a node agent on this machine.
 */

const cluster = sharedCluster();
const nodeName = uniqueName("storage");
const ns = uniqueName("storage");
let workDir: string;
let agent: NodeAgent;

async function get<T>(kind: string, name: string, namespace?: string): Promise<T | undefined> {
  const r = await kubectl(["get", kind, name, ...(namespace ? ["-n", namespace] : []), "-o", "json"]);
  if (r.code !== 0 && /NotFound/.test(r.stderr)) return undefined;
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

const apply = (obj: unknown) => mustKubectl(["apply", "-f", "-"], JSON.stringify(obj));

/** A pod on this test's node agent that runs `script` in busybox's shell, once; `volumes` as given. */
function shellPod(name: string, script: string, volumes: Record<string, unknown>[]) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: {
      nodeSelector: { [LOCAL_LABEL]: "true", "kubernetes.io/hostname": nodeName },
      tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists", effect: "NoSchedule" }],
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: "shell",
          image: "busybox:1.37",
          command: ["/bin/sh", "-c", script],
          // The node agent moves values that start with a mount path, not paths inside a shell line.
          env: [{ name: "FILE", value: "/data/greeting" }],
          volumeMounts: [{ name: "data", mountPath: "/data" }],
        },
      ],
      volumes,
    },
  };
}

const claimVolume = (claimName: string) => [{ name: "data", persistentVolumeClaim: { claimName } }];

/** Waits until the pod has finished, and gives it. */
function finished(name: string): Promise<Pod> {
  return waitFor(
    `pod ${name} to finish`,
    async () => {
      const pod = await get<Pod>("pod", name, ns);
      const phase = pod?.status?.phase;
      if (phase === "Succeeded" || phase === "Failed") return pod;
      throw new Error(`phase ${phase}: ${JSON.stringify(pod?.status)}`);
    },
    { timeoutMs: 90_000 },
  );
}

async function deletePod(name: string): Promise<void> {
  await mustKubectl(["delete", "pod", name, "-n", ns, "--timeout=60s"]);
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "agentyard-storage-"));
  agent = await startNodeAgent({
    kubeconfig: cluster.kubeconfig,
    nodeName,
    workDir: join(workDir, "agent"),
    programs: { busybox: localShell },
    storageDir: cluster.storageDir,
  });
  await mustKubectl(["create", "namespace", ns]);
});

afterAll(async () => {
  await agent?.stop();
  await kubectl(["delete", "namespace", ns, "--wait=false"]);
  await kubectl(["delete", "node", nodeName, "--wait=false"]);
  await rm(workDir, { recursive: true, force: true });
});

describe("a PersistentVolumeClaim of the default class", () => {
  const claim = "data";
  let pvName = "";
  let folder = "";

  it("is provisioned on the node its first pod is scheduled to, and the pod writes into its folder", async () => {
    const sc = JSON.parse(await mustKubectl(["get", "storageclass", LOCAL_PATH.storageClass, "-o", "json"]));
    expect(sc.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("true");
    await apply({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: claim, namespace: ns },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } } },
    });
    // WaitForFirstConsumer: the PV controller says it waits, and no volume is made before a pod.
    await waitFor("the claim to wait for its first consumer", async () => {
      const out = await mustKubectl([
        "get",
        "events",
        "-n",
        ns,
        "--field-selector",
        `involvedObject.name=${claim},reason=WaitForFirstConsumer`,
        "-o",
        "name",
      ]);
      return out.trim() ? true : undefined;
    });
    const pending = await get<PersistentVolumeClaim & { spec: { storageClassName?: string } }>(
      "pvc",
      claim,
      ns,
    );
    expect(pending?.spec.storageClassName).toBe(LOCAL_PATH.storageClass);
    expect(pending?.spec.volumeName).toBeUndefined();

    await apply(shellPod("writer", 'echo "hello from the writer" > "$FILE"', claimVolume(claim)));
    const writer = await finished("writer");
    expect(writer.status?.phase).toBe("Succeeded");

    const bound = await get<PersistentVolumeClaim & { metadata: { annotations: Record<string, string> } }>(
      "pvc",
      claim,
      ns,
    );
    expect(bound?.status?.phase).toBe("Bound");
    expect(bound?.metadata.annotations["volume.kubernetes.io/selected-node"]).toBe(nodeName);
    pvName = bound?.spec.volumeName ?? "";
    const pv = await get<PersistentVolume & { spec: { nodeAffinity: unknown } }>("pv", pvName);
    folder = pv?.spec.hostPath?.path ?? "";
    expect(folder).toBe(join(cluster.storageDir, `${pvName}_${ns}_${claim}`));
    expect(JSON.stringify(pv?.spec.nodeAffinity)).toContain(`"values":["${nodeName}"]`);
    expect(await readFile(join(folder, "greeting"), "utf8")).toBe("hello from the writer\n");
  });

  it("keeps its data for the next pod once the first is deleted", async () => {
    await deletePod("writer");
    await apply(shellPod("reader", 'cat "$FILE"', claimVolume(claim)));
    const reader = await finished("reader");
    expect(reader.status?.phase).toBe("Succeeded");
    expect(reader.spec.nodeName).toBe(nodeName);
    expect(await mustKubectl(["logs", "reader", "-n", ns])).toBe("hello from the writer\n");
  });

  it("goes with its claim: the teardown helper pod removes the folder, then the PV is deleted", async () => {
    await deletePod("reader");
    await mustKubectl(["delete", "pvc", claim, "-n", ns, "--timeout=60s"]);
    await waitFor(
      `PV ${pvName} to be deleted`,
      async () => ((await get("pv", pvName)) === undefined ? true : undefined),
      { timeoutMs: 90_000 },
    );
    expect(existsSync(folder)).toBe(false);
    const log = await readFile(join(cluster.dir, "logs", "local-path-provisioner.log"), "utf8");
    expect(log).toContain(`Volume ${pvName} has been deleted on ${nodeName}:${folder}`);
  });
});

describe("host folders outside the storage folder", () => {
  const rejected = async (name: string, path: string) => {
    const pod = await finished(name);
    expect(pod.status?.phase).toBe("Failed");
    expect(pod.status?.reason).toBe("HostPathNotAllowed");
    expect(pod.status?.message).toContain(`${path} is outside ${cluster.storageDir}`);
    // Nothing of it ran.
    expect(pod.status?.containerStatuses).toBeUndefined();
  };

  // The API server refuses ".." in a hostPath; a name, a sibling's prefix and a link remain.
  it("fail a pod that asks for one as a hostPath volume, by name, by prefix or through a link", async () => {
    const sibling = `${cluster.storageDir}-${ns}`;
    const link = join(cluster.storageDir, `${ns}-link`);
    // What a pod with a volume there could leave behind for another pod to mount.
    await symlink("/etc", link);
    try {
      await apply(shellPod("etc", 'echo owned > "$FILE"', [{ name: "data", hostPath: { path: "/etc" } }]));
      await apply(
        shellPod("sibling", 'echo owned > "$FILE"', [
          { name: "data", hostPath: { path: sibling, type: "DirectoryOrCreate" } },
        ]),
      );
      await apply(shellPod("link", 'echo owned > "$FILE"', [{ name: "data", hostPath: { path: link } }]));
      await rejected("etc", "/etc");
      await rejected("sibling", sibling);
      await rejected("link", link);
      expect(existsSync(sibling)).toBe(false);
      expect(existsSync("/etc/greeting")).toBe(false);
    } finally {
      await rm(link, { force: true });
    }
  });

  it("fail a pod whose claim is bound to a PersistentVolume of one", async () => {
    const pv = uniqueName("etc");
    await apply({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: pv },
      spec: {
        capacity: { storage: "1Mi" },
        accessModes: ["ReadWriteOnce"],
        storageClassName: "",
        hostPath: { path: "/etc" },
        claimRef: { namespace: ns, name: "etc" },
      },
    });
    try {
      await apply({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "etc", namespace: ns },
        spec: {
          storageClassName: "",
          volumeName: pv,
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "1Mi" } },
        },
      });
      await apply(shellPod("etc-claim", 'echo owned > "$FILE"', claimVolume("etc")));
      await rejected("etc-claim", "/etc");
    } finally {
      await kubectl(["delete", "pv", pv, "--wait=false"]);
    }
  });
});

describe("the provisioner of a cluster of its own", () => {
  it("runs with the cluster, keeps its volumes in the cluster's folder, and stops with it", async () => {
    const own = await DevCluster.start({ name: "storage-own" });
    let pid: number | undefined;
    try {
      pid = own.pid("local-path-provisioner");
      expect(pid !== undefined && alive(pid)).toBe(true);
      expect(own.info().storageDir).toBe(join(own.dir, "local-path", "volumes"));
      const config = JSON.parse(await readFile(join(own.dir, "local-path", "config.json"), "utf8"));
      expect(config.nodePathMap[0].paths).toEqual([own.storageDir]);
    } finally {
      await own.stop();
    }
    expect(alive(pid as number)).toBe(false);
    expect(existsSync(own.dir)).toBe(false);
  });
});
