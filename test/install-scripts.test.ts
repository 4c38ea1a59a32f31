import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ensureDebianPackages, SHELLCHECK } from "../devcluster/debian.ts";
import { projectRoot } from "../devcluster/paths.ts";
import pkg from "../package.json" with { type: "json" };

const run = promisify(execFile);

describe("npm run dev:kind", () => {
  it("runs scripts/dev-kind.sh, which shellcheck finds clean", { timeout: 300_000 }, async () => {
    expect(pkg.scripts["dev:kind"]).toBe("bash scripts/dev-kind.sh");
    await ensureDebianPackages([SHELLCHECK]);
    const r = await run("shellcheck", [join(projectRoot, "scripts", "dev-kind.sh")]).catch(
      (err: { stdout: string; code: number }) => err,
    );
    expect("code" in r ? r.stdout : "").toBe("");
  });
});
