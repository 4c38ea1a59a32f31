import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "./node-flags.ts";
import { buildOperatorBundle } from "./operator-bundle.ts";

const dir = await mkdtemp(join(tmpdir(), "agentyard-operator-bundle-"));

describe("the operator's bundle", () => {
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("runs `operator` as the image does, on its own, without the sources' modules", async () => {
    const bundle = await buildOperatorBundle(join(dir, "agentyard-operator.mjs"));
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [...SERVER_NODE_FLAGS, bundle, ...args], { cwd: dir });
    const help = await run(["operator", "--help"]);
    expect(help.stdout).toContain("run the operator: reconcile Orgs and AgentTasks");
    // Its options are parsed as the CLI's are: a bad one is refused, naming it.
    await expect(run(["operator", "--concurrency=0"])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("--concurrency"),
    });
  });
});
