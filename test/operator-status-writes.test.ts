import { clientFromKubeconfigFile, EventRecorder, RuntimeMetrics } from "@agentyard/kube-runtime";
import { describe, expect, it } from "vitest";
import { StatusReporter } from "../operator/reconcile/status-reporter.ts";
import { taskStatusEvent } from "../operator/status/task-status.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import { AGENT_TASK_KIND, type AgentTask, type AgentTaskStatus } from "../schema/index.ts";
import { kubectl, sharedCluster, uniqueName } from "./support/cluster.ts";

const starting = {
  status: {
    phase: "Starting" as const,
    attempts: 1,
    message: "starting attempt 1: waiting for the agent pod",
  },
  conditions: [
    { type: "Ready", status: "False" as const, reason: "Starting", message: "waiting for the agent pod" },
  ],
};

describe("StatusReporter", () => {
  it("writes a status once, though the task is reconciled again before the cache shows that write", async () => {
    const ns = uniqueName("status-writes");
    expect((await kubectl(["create", "namespace", ns])).code).toBe(0);
    const patches: string[] = [];
    const client = clientFromKubeconfigFile(sharedCluster().kubeconfig, "status-writes", {
      metrics: new RuntimeMetrics({ prefix: "status_writes_test" }),
      observe: ({ verb, code }) => {
        if (verb === "PATCH") patches.push(code);
      },
    });
    const reporter = new StatusReporter<AgentTaskStatus>({
      local: client,
      events: new EventRecorder(client, { reportingController: "agentyard.dev/test", identity: "test" }),
      kind: AGENT_TASK_KIND,
      eventFor: taskStatusEvent,
      now: () => new Date(),
    });
    try {
      // What an informer held before the status write: the task as created.
      const cached = await client.request<AgentTask>(
        "POST",
        `/apis/agentyard.dev/v1alpha1/namespaces/${ns}/agenttasks`,
        { body: taskManifest("t", ns, { org: "acme", prompt: "x" }) },
      );
      const signal = new AbortController().signal;
      await reporter.report(reporter.latest(cached), starting, signal);
      expect(patches).toEqual(["200"]);

      await reporter.report(reporter.latest(cached), starting, signal);
      expect(patches).toEqual(["200"]);

      // Once the cache holds the write, it is what the reporter reads.
      const caughtUp = await client.request<AgentTask>(
        "GET",
        `/apis/agentyard.dev/v1alpha1/namespaces/${ns}/agenttasks/t`,
      );
      expect(reporter.latest(caughtUp)).toBe(caughtUp);
      await reporter.report(caughtUp, starting, signal);
      expect(patches).toEqual(["200"]);
    } finally {
      await client.close();
      await kubectl(["delete", "namespace", ns, "--wait=false"]);
    }
  });
});
