import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureCodeServer } from "../devcluster/code-server.ts";
import { waitFor } from "../devcluster/http.ts";
import { TAILNET_DOMAIN } from "../devcluster/tailnet.ts";
import type { AgentTask } from "../schema/index.ts";
import { type RunningStart, startAgentyard } from "./support/npm-start.ts";
import { tailscaledsIn } from "./support/tailnet.ts";

const run = promisify(execFile);
let start: RunningStart;

// tailscale is built on its first use, which takes minutes.
beforeAll(async () => {
  // The editors are real code-servers: on a fresh machine the first one installs it (minutes), and
  // a test of the tailnet must not spend its own deadlines waiting for that.
  await ensureCodeServer((line) => process.stderr.write(`${line}\n`));
  start = await startAgentyard("start-tailnet", ["--tailnet"], { timeoutMs: 30 * 60_000 });
}, 31 * 60_000);

afterAll(() => start?.stop());

/** curl as the README has it: through the person's tailnet node, which resolves the editor's name. */
async function curl(proxy: string, url: string): Promise<{ head: string; body: string }> {
  const { stdout } = await run("curl", ["-sS", "--max-time", "20", "-i", "--socks5-hostname", proxy, url]);
  const at = stdout.indexOf("\r\n\r\n");
  return { head: stdout.slice(0, at), body: stdout.slice(at + 4) };
}

describe("npm start -- --tailnet", () => {
  it("puts the demo Org's editors on a local tailnet that curl reaches through the printed TAILNET_PROXY", {
    timeout: 5 * 60_000,
  }, async () => {
    const output = start.output();
    const proxy = /TAILNET_PROXY=(socks5h:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    expect(proxy, output.slice(-3000)).toBeDefined();
    const scheduled = await start.request("POST", "/schedule", {
      org: "demo",
      task: "Say hello in the README",
    });
    expect(scheduled.status).toBe(202);
    const { links } = (await scheduled.json()) as { links: { self: string } };
    const task = await waitFor(
      "the task's editor on the tailnet",
      async () => {
        const seen = (await (await start.request("GET", links.self)).json()) as AgentTask;
        return seen.status?.editorURL?.includes(TAILNET_DOMAIN) ? seen : undefined;
      },
      { timeoutMs: 180_000 },
    );
    const editorURL = task.status?.editorURL as string;
    expect(editorURL).toMatch(
      new RegExp(`^http://demo-[a-z0-9-]+\\.${TAILNET_DOMAIN.replaceAll(".", "\\.")}:8443/$`),
    );

    const health = await waitFor(
      "curl to reach the editor's /healthz",
      async () => {
        const answer = await curl(proxy as string, `${editorURL}healthz`).catch(() => undefined);
        return answer?.head.startsWith("HTTP/1.1 200") ? answer : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(health.body).toMatch(/"status":"(alive|expired)"/);
    const root = await curl(proxy as string, editorURL);
    expect(root.head).toMatch(/^HTTP\/1\.1 302/);
    expect(root.head).toMatch(/^location: \.\/login/im);
    const login = await curl(proxy as string, `${editorURL}login`);
    expect(login.head).toMatch(/^HTTP\/1\.1 200/);
    expect(login.body).toContain("code-server");

    // agentyard open finds this run's api and prints the same URL, with where its password is.
    const name = links.self.split("/").at(-1) as string;
    const opened = await start.cli(["open", name]);
    expect(opened.code, opened.stderr).toBe(0);
    expect(opened.stdout.split("\n")[0]).toBe(editorURL);
    expect(opened.stdout).toContain(`kubectl get secret ${name}-editor -n org-demo`);

    // The dashboard's task list shows what the api answers: the tailnet URL.
    const listed = (await (await start.request("GET", "/api/v1/tasks?org=demo")).json()) as {
      items: AgentTask[];
    };
    expect(listed.items.map((t) => t.status?.editorURL)).toContain(editorURL);
  });

  it("stops every tailscaled it started with it", { timeout: 3 * 60_000 }, async () => {
    const dir = start.env.AGENTYARD_DEV_DIR as string;
    expect((await tailscaledsIn(dir)).length).toBeGreaterThanOrEqual(2);
    await start.stop();
    expect(await tailscaledsIn(dir)).toEqual([]);
  });
});
