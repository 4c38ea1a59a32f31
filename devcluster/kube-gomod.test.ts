import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  currentReplaceBlock,
  KUBE_MODULE_DIR,
  kubernetesGoMod,
  replaceBlock,
  stagingModules,
} from "./kube-gomod.ts";
import { goModulesDir } from "./paths.ts";
import { ETCD_VERSION, KUBERNETES_VERSION, KWOK_VERSION, stagingVersion } from "./versions.ts";

describe("the Kubernetes wrapper module", () => {
  it("finds the staging modules in a go.mod", () => {
    const goMod = [
      "replace (",
      "\tk8s.io/api => ./staging/src/k8s.io/api",
      "\tk8s.io/client-go => ./staging/src/k8s.io/client-go",
      "\tgithub.com/other/x => github.com/fork/x v1.0.0",
      ")",
    ].join("\n");
    expect(stagingModules(goMod)).toEqual(["k8s.io/api", "k8s.io/client-go"]);
    expect(replaceBlock(["k8s.io/api"], "v1.36.3")).toBe(
      "replace (\n\tk8s.io/api => k8s.io/api v0.36.3\n)\n",
    );
  });

  it("maps a Kubernetes release to its staging version", () => {
    expect(stagingVersion("v1.36.3")).toBe("v0.36.3");
    expect(() => stagingVersion("v1.36.3-rc.1")).toThrow(/not a Kubernetes release/);
  });

  // On a fresh machine this downloads k8s.io/kubernetes's module first (seconds to a minute).
  it("replaces exactly the staging modules that k8s.io/kubernetes names", { timeout: 180_000 }, async () => {
    const upstream = stagingModules(await kubernetesGoMod(KUBERNETES_VERSION));
    expect(upstream.length).toBeGreaterThan(30);
    const committed = await readFile(join(KUBE_MODULE_DIR, "go.mod"), "utf8");
    // On a mismatch, run `npx agentyard dev gomod` and commit devcluster/go/kube.
    expect(currentReplaceBlock(committed)).toBe(replaceBlock(upstream, KUBERNETES_VERSION));
    expect(committed).toContain(`k8s.io/kubernetes ${KUBERNETES_VERSION}`);
  });

  it("pins the etcd and kwok versions that versions.ts names", async () => {
    expect(await readFile(join(goModulesDir, "etcd", "go.mod"), "utf8")).toContain(
      `go.etcd.io/etcd/server/v3 ${ETCD_VERSION}`,
    );
    expect(await readFile(join(goModulesDir, "kwok", "go.mod"), "utf8")).toContain(
      `sigs.k8s.io/kwok ${KWOK_VERSION}`,
    );
  });
});
