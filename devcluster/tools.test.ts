import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TOOLS, type ToolName, toolModuleDir } from "./tools.ts";

describe("the tool wrapper modules", () => {
  it("pin the versions tools.ts names, each in a module of its own", async () => {
    for (const [tool, { module, version }] of Object.entries(TOOLS)) {
      const goMod = await readFile(join(toolModuleDir(tool as ToolName), "go.mod"), "utf8");
      expect(goMod).toContain(`module agentyard.dev/devcluster/tools/${tool}`);
      expect(goMod).toMatch(new RegExp(`\\s${module.replaceAll(".", "\\.")} ${version}\\n`));
      // Never the control plane's modules: their replace directives would steer these builds.
      expect(goMod).not.toContain("k8s.io/kubernetes ");
    }
  });
});
