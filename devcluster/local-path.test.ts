import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runGo } from "./go-build.ts";
import { LOCAL_PATH, localPathConfig, localPathEnv, localPathObjects } from "./local-path.ts";
import { LOCAL_PATH_MODULE, LOCAL_PATH_MODULE_DIR } from "./local-path-build.ts";
import { defaultPrograms, findProgram } from "./node-agent/programs.ts";
import { LOCAL_PATH_PROVISIONER_VERSION } from "./versions.ts";

/** The release's own manifest, from the module cache (downloaded on a fresh machine: seconds). */
async function releasedManifest(): Promise<string> {
  const out = await runGo(
    "go",
    ["mod", "download", "-json", `${LOCAL_PATH_MODULE}@${LOCAL_PATH_PROVISIONER_VERSION}`],
    LOCAL_PATH_MODULE_DIR,
  );
  const { Dir } = JSON.parse(out) as { Dir: string };
  return readFile(join(Dir, "deploy", "local-path-storage.yaml"), "utf8");
}

const byKind = (objects: ReturnType<typeof localPathObjects>, kind: string) =>
  objects.filter((o) => o.kind === kind);

describe("the local-path provisioner's objects", () => {
  it("pins the version versions.ts names", async () => {
    expect(await readFile(join(LOCAL_PATH_MODULE_DIR, "go.mod"), "utf8")).toContain(
      `${LOCAL_PATH_MODULE} ${LOCAL_PATH_PROVISIONER_VERSION}\n`,
    );
  });

  it("are the release's, less its Deployment and host config, with local-path the default class", {
    timeout: 180_000,
  }, async () => {
    const objects = localPathObjects(await releasedManifest());
    expect(objects.map((o) => o.kind).sort()).toEqual([
      "ClusterRole",
      "ClusterRoleBinding",
      "ConfigMap",
      "Namespace",
      "Role",
      "RoleBinding",
      "ServiceAccount",
      "StorageClass",
    ]);
    expect(byKind(objects, "StorageClass")[0]).toMatchObject({
      metadata: {
        name: LOCAL_PATH.storageClass,
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: LOCAL_PATH.provisioner,
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Delete",
    });
    const data = byKind(objects, "ConfigMap")[0]?.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(["helperPod.yaml", "setup", "teardown"]);
    // The helper pods must be ones the node agent can run.
    const helper = parse(data["helperPod.yaml"] as string) as { spec: { containers: { image: string }[] } };
    for (const c of helper.spec.containers) expect(findProgram(defaultPrograms(), c.image)).toBeDefined();
    const subjects = [...byKind(objects, "RoleBinding"), ...byKind(objects, "ClusterRoleBinding")].flatMap(
      (b) => b.subjects as { kind: string; name: string; namespace: string }[],
    );
    expect(subjects).toEqual(
      Array(2).fill({
        kind: "ServiceAccount",
        name: LOCAL_PATH.serviceAccount,
        namespace: LOCAL_PATH.namespace,
      }),
    );
  });

  it("refuses a manifest that no longer has what the provisioner's defaults name", () => {
    const manifest = [
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: local-path-storage",
      "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: renamed\n  namespace: local-path-storage",
    ].join("\n---\n");
    expect(() => localPathObjects(manifest)).toThrow(
      /has no ServiceAccount local-path-provisioner-service-account/,
    );
  });
});

describe("the local-path provisioner's process", () => {
  it("makes every node's volumes in the one folder it is given", () => {
    expect(localPathConfig("/cluster/local-path/volumes")).toEqual({
      nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: ["/cluster/local-path/volumes"] }],
    });
  });

  it("gets none of the caller's variables that would steer it, only PATH", () => {
    const env = localPathEnv({
      PATH: "/usr/bin",
      POD_NAMESPACE: "elsewhere",
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      CONFIG_MOUNT_PATH: "/etc/config",
    });
    expect(env).toEqual({ PATH: "/usr/bin" });
  });
});
