import { readFile } from "node:fs/promises";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningStart, startAgentyard } from "./support/npm-start.ts";

let start: RunningStart;

beforeAll(async () => {
  start = await startAgentyard("start-tls", ["--tls"], { timeoutMs: 10 * 60_000 });
}, 11 * 60_000);

afterAll(() => start?.stop());

describe("npm start -- --tls", () => {
  it("serves the dashboard and the api over HTTPS with a pair it made, which agentyard's CLI trusts", {
    timeout: 2 * 60_000,
  }, async () => {
    const { url, token, ca } = await start.devApi();
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(ca, "api.json names the certificate").toBeDefined();
    expect(start.output()).toContain(`--cacert ${ca}`);

    const trusting = new Agent({ connect: { ca: await readFile(ca as string, "utf8") } });
    try {
      const page = await undiciFetch(`${url}/`, {
        dispatcher: trusting,
        signal: AbortSignal.timeout(30_000),
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<html");
      const me = await undiciFetch(`${url}/api/v1/whoami`, {
        dispatcher: trusting,
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(30_000),
      });
      expect(me.status).toBe(200);
    } finally {
      await trusting.close();
    }
    // Not a certificate anyone else trusts: a client that was not given it refuses the server.
    const untrusted = await fetch(`${url}/`, { signal: AbortSignal.timeout(30_000) }).then(
      () => "answered",
      (err: Error) => String((err.cause as { code?: string } | undefined)?.code ?? err),
    );
    expect(untrusted).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);

    // agentyard run and friends find the run's api, token and certificate without being told.
    const tasks = await start.cli(["tasks"]);
    expect(tasks.code, tasks.stderr).toBe(0);
    expect(tasks.stdout).toMatch(/^NAMESPACE\s+NAME\s+ORG\s+PHASE/);
  });
});
