import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import type { AgentTask } from "../schema/index.ts";
import { type RunningStart, startAgentyard } from "./support/npm-start.ts";

let start: RunningStart;

// Gitea is built on its first use, which takes minutes (more beside other builds).
beforeAll(async () => {
  start = await startAgentyard("start-forge", ["--forge"], { timeoutMs: 30 * 60_000 });
}, 31 * 60_000);

afterAll(() => start?.stop());

describe("npm start -- --forge", () => {
  it("runs a local Gitea where the demo Org's tasks, scheduled through the REST API, open real pull requests", {
    timeout: 5 * 60_000,
  }, async () => {
    const output = start.output();
    const forgeLine = /forge: +(http:\/\/127\.0\.0\.1:\d+\/demo\/demo)\/pulls/.exec(output);
    expect(forgeLine, output.slice(-3000)).not.toBeNull();
    const api = start.request;
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
