import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateReporter } from "../agent-image/report.ts";
import { waitFor } from "../devcluster/http.ts";
import { type AgentState, formatAgentState, parseAgentState } from "../schema/contract/index.ts";
import { type AgentAccess, agentAccess, configMapData } from "./support/agent.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

let dir: string;
let access: AgentAccess;
const namespace = uniqueName("agent-state");
const task = "report-me";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-state-"));
  access = await agentAccess(namespace, task, dir);
});
afterAll(async () => {
  await kubectl(["delete", "namespace", namespace, "--wait=false"]);
  await rm(dir, { recursive: true, force: true });
});

const finished: AgentState = {
  attempt: 1,
  startedAt: "2026-01-01T10:00:00.000Z",
  finishedAt: "2026-01-01T10:05:00.000Z",
  exitCode: 0,
  message: "pushed agentyard/report-me at 0123456789ab",
  logTail: "done\n",
  lastPR: {
    task,
    org: "agents",
    repo: "https://github.com/acme/app.git",
    baseBranch: "main",
    branch: "agentyard/report-me",
    commit: "0123456789abcdef0123456789abcdef01234567",
    title: "Report me",
    summary: "Report me",
    diffstat: { files: 1, insertions: 2, deletions: 0 },
    url: "https://github.com/acme/app/compare/main...agentyard/report-me?expand=1",
    exitCode: 0,
    createdAt: "2026-01-01T10:05:00.000Z",
  },
};

describe("StateReporter on a real API server, as the task's ServiceAccount", () => {
  it("writes the attempt's whole state into the task's ConfigMap, as the operator parses it", async () => {
    const logs: string[] = [];
    const reporter = new StateReporter(access.target, { log: (m) => logs.push(m) });
    reporter.report(finished);
    expect(await reporter.flush()).toBe(true);
    const data = await configMapData(namespace, `${task}-state`);
    expect(data).toEqual(formatAgentState(finished));
    expect(parseAgentState(data, 1)).toEqual(finished);

    // A new attempt's report replaces every key, including those it no longer has.
    reporter.report({ attempt: 2, startedAt: "2026-01-01T11:00:00.000Z" });
    expect(await reporter.flush()).toBe(true);
    expect(await configMapData(namespace, `${task}-state`)).toEqual({
      attempt: "2",
      startedAt: "2026-01-01T11:00:00.000Z",
    });
    expect(logs).toEqual([]);
  });

  it("reads back what it wrote", async () => {
    const reporter = new StateReporter(access.target, { log: () => {} });
    expect(await reporter.read()).toEqual(await configMapData(namespace, `${task}-state`));
  });

  it("is refused any other ConfigMap, gives up at once and says why", async () => {
    const other = "someone-elses-state";
    const created = await kubectl([
      "create",
      "configmap",
      other,
      "-n",
      namespace,
      "--from-literal=attempt=7",
    ]);
    expect(created.code).toBe(0);
    const logs: string[] = [];
    const reporter = new StateReporter({ ...access.target, name: other }, { log: (m) => logs.push(m) });
    reporter.report(finished);
    expect(await reporter.flush(10_000)).toBe(false);
    expect(reporter.lastError).toMatch(/^HTTP 403: .*forbidden/);
    expect(logs).toEqual(["could not report the agent's state"]);
    expect(await configMapData(namespace, other)).toEqual({ attempt: "7" });
    expect(await reporter.read()).toBeUndefined();
  });

  it("retries while the API server cannot be reached, then lands the report", async () => {
    // A port nobody listens on yet: the reporter sees connection refused until the proxy opens.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const logs: string[] = [];
    const reporter = new StateReporter(
      { ...access.target, server: `https://127.0.0.1:${port}` },
      { log: (m) => logs.push(m), firstBackoffMs: 50, maxBackoffMs: 200 },
    );
    reporter.report({ ...finished, message: "after an outage" });
    await waitFor("a retried report", async () => (logs.length > 0 ? true : undefined), {
      timeoutMs: 10_000,
    });
    expect(logs[0]).toBe("reporting the agent's state failed; retrying");

    const apiserver = new URL(sharedCluster().server);
    const sockets: Socket[] = [];
    const proxy: Server = createServer((socket) => {
      const upstream = connect(Number(apiserver.port), apiserver.hostname);
      sockets.push(socket, upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    await new Promise<void>((r) => proxy.listen(port, "127.0.0.1", r));
    try {
      expect(await reporter.flush(20_000)).toBe(true);
    } finally {
      // The client keeps its connection alive; closing the server alone would wait for it.
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => proxy.close(r));
    }
    expect((await configMapData(namespace, `${task}-state`)).message).toBe("after an outage");
  });
});
