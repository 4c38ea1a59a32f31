import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../devcluster/paths.ts";
import pkg from "../package.json" with { type: "json" };

const run = promisify(execFile);

/** Debian packages shellcheck; a fresh machine (CI) gets it here, as root, the first time. */
async function shellcheck(): Promise<string> {
  const found = await run("sh", ["-c", "command -v shellcheck"]).catch(() => undefined);
  if (found) return found.stdout.trim();
  await run("apt-get", ["update"]);
  await run("apt-get", ["install", "-y", "--no-install-recommends", "shellcheck"]);
  return "shellcheck";
}

describe("npm run dev:kind", () => {
  it("runs scripts/dev-kind.sh, which shellcheck finds clean", { timeout: 300_000 }, async () => {
    expect(pkg.scripts["dev:kind"]).toBe("bash scripts/dev-kind.sh");
    const r = await run(await shellcheck(), [join(projectRoot, "scripts", "dev-kind.sh")]).catch(
      (err: { stdout: string; code: number }) => err,
    );
    expect("code" in r ? r.stdout : "").toBe("");
  });
});
