import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_PRESET_NAMES, AGENT_PRESETS } from "../schema/presets.ts";
import { type AgentBundle, buildAgent, presetDockerBuild } from "./build.ts";

const exec = promisify(execFile);
let dir: string;
let bundle: AgentBundle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-bundle-"));
  bundle = await buildAgent(join(dir, "dist"));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

// The full runtime, bundled, is exercised against a devcluster in test/agent-cli.test.ts.
describe("the agent bundle", () => {
  it("is self-contained: it starts with nothing beside it and names what its environment lacks", async () => {
    const run = exec(process.execPath, [bundle.agent], { cwd: dir, env: { PATH: process.env.PATH } });
    await expect(run).rejects.toMatchObject({
      code: 2,
      stderr: "agentyard agent: AGENTYARD_ATTEMPT must be set\n",
    });
  });

  it("ships the demo agent as a program that writes the prompt into the workspace", async () => {
    const env = { PATH: process.env.PATH, AGENTYARD_TASK: "hello", AGENTYARD_PROMPT: "Say hello\n" };
    const { stdout } = await exec(bundle.demoAgent, [], { cwd: dir, env });
    expect(stdout).toBe("demo agent: wrote tasks/hello.md\n");
    expect(await readFile(join(dir, "tasks", "hello.md"), "utf8")).toBe("# hello\n\nSay hello\n");
  });

  it("writes each preset's package.json with the version pinned in schema/presets.ts", async () => {
    for (const preset of AGENT_PRESET_NAMES) {
      const { package: name, version } = AGENT_PRESETS[preset];
      const manifest = JSON.parse(
        await readFile(join(dir, "dist", "agent-cli", preset, "package.json"), "utf8"),
      );
      expect(manifest.dependencies).toEqual({ [name]: version });
      expect(presetDockerBuild(preset)).toEqual([
        "docker",
        "build",
        "--build-arg",
        `AGENT_PRESET=${preset}`,
        "-t",
        `agentyard/agent-${preset}:0.1.0`,
        "agent-image",
      ]);
    }
  });
});
