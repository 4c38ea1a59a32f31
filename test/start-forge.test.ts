import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import type { AgentTask } from "../schema/index.ts";

const CLI = join(projectRoot, "cli", "agentyard.ts");

let work: string;
let child: ChildProcess;
let output = "";

/** `npm start -- --forge`, with a dev state folder of its own and this machine's caches. */
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-start-forge-"));
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AGENTYARD_"))),
    AGENTYARD_DEV_DIR: join(work, "dev"),
  };
  child = spawn(
    process.execPath,
    [CLI, "start", "--forge", "--listen", "127.0.0.1:0", "--log-format", "json"],
    {
      cwd: projectRoot,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // Gitea is built on its first use, which takes minutes (more beside other builds).
  await waitFor(
    "npm start --forge to run",
    async () => (output.includes("agentyard is running") ? true : undefined),
    {
      timeoutMs: 30 * 60_000,
      abort: async () =>
        child.exitCode === null ? undefined : `it exited with ${child.exitCode}: ${output.slice(-3000)}`,
    },
  );
}, 31 * 60_000);

afterAll(async () => {
  if (child?.exitCode === null) {
    process.kill(-(child.pid as number), "SIGINT");
    await waitFor("npm start to stop", async () => (child.exitCode === null ? undefined : true), {
      timeoutMs: 120_000,
    }).catch(() => process.kill(-(child.pid as number), "SIGKILL"));
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe("npm start -- --forge", () => {
  it("runs a local Gitea where the demo Org's tasks, scheduled through the REST API, open real pull requests", {
    timeout: 5 * 60_000,
  }, async () => {
    const forgeLine = /forge: +(http:\/\/127\.0\.0\.1:\d+\/demo\/demo)\/pulls/.exec(output);
    expect(forgeLine, output.slice(-3000)).not.toBeNull();
    const { url, token } = JSON.parse(await readFile(join(work, "dev", "api.json"), "utf8")) as {
      url: string;
      token: string;
    };
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    const scheduled = await api("POST", "/schedule", { org: "demo", task: "Say hello in the README" });
    expect(scheduled.status).toBe(202);
    const { links } = (await scheduled.json()) as { links: { self: string } };

    const done = await waitFor(
      "the demo task to finish",
      async () => {
        const task = (await (await api("GET", links.self)).json()) as AgentTask;
        return task.status?.phase === "Succeeded" || task.status?.phase === "Failed" ? task : undefined;
      },
      { timeoutMs: 180_000 },
    );
    expect(done.status?.phase, done.status?.message).toBe("Succeeded");
    const lastPR = done.status?.artifacts?.lastPR;
    expect(lastPR).toMatchObject({ forge: "gitea", state: "open", title: "Say hello in the README" });
    expect(lastPR?.url).toBe(`${forgeLine?.[1]}/pulls/${lastPR?.number}`);
    // The page a person clicks through to from the task in the dashboard.
    const page = await fetch(lastPR?.url as string, { signal: AbortSignal.timeout(30_000) });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Say hello in the README");
  });
});
