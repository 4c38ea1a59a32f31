import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  currentReplaceBlock,
  GITEA_MODULE_DIR,
  giteaGoMod,
  giteaReplaces,
  replaceBlock,
} from "./gitea-gomod.ts";
import { GITEA_VERSION } from "./versions.ts";

describe("the Gitea wrapper module", () => {
  it("reads replace directives in both of go.mod's forms, leaving out local paths", () => {
    const goMod = [
      "replace github.com/a/x => github.com/fork/x v1.2.3 // a reason",
      "replace (",
      "\tgithub.com/b/y v1.0.0 => github.com/b/y v0.9.0",
      "\tgithub.com/c/z => ./vendor/z",
      ")",
      "require github.com/d/w v1.0.0",
    ].join("\n");
    expect(giteaReplaces(goMod)).toEqual([
      "github.com/a/x => github.com/fork/x v1.2.3",
      "github.com/b/y => github.com/b/y v0.9.0",
    ]);
    expect(replaceBlock(["a => b v1"])).toBe("replace (\n\ta => b v1\n)\n");
  });

  it("requires the version versions.ts names", async () => {
    const committed = await readFile(join(GITEA_MODULE_DIR, "go.mod"), "utf8");
    expect(committed).toContain("module agentyard.dev/devcluster/gitea\n");
    expect(committed).toMatch(new RegExp(`^require code\\.gitea\\.io/gitea ${GITEA_VERSION}$`, "m"));
    expect(await readFile(join(GITEA_MODULE_DIR, "tools.go"), "utf8")).toContain('_ "code.gitea.io/gitea"');
  });

  // On a fresh machine this downloads Gitea's go.mod first (seconds).
  it("repeats exactly the replace directives of Gitea's own go.mod", { timeout: 120_000 }, async () => {
    const upstream = giteaReplaces(await giteaGoMod(GITEA_VERSION));
    expect(upstream.length).toBeGreaterThan(0);
    const committed = await readFile(join(GITEA_MODULE_DIR, "go.mod"), "utf8");
    // On a mismatch, run `npx agentyard dev gomod` and commit devcluster/go/gitea.
    expect(currentReplaceBlock(committed)).toBe(replaceBlock(upstream));
  });
});
