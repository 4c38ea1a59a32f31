import { describe, expect, it } from "vitest";
import { type AgentTask, type Org, OrgSchema } from "../../schema/index.ts";
import { scheduleResponse } from "./schedule.ts";

const task = {
  apiVersion: "agentyard.dev/v1alpha1",
  kind: "AgentTask",
  metadata: { name: "task-x1", namespace: "org-acme", uid: "u-1" },
  spec: { org: "acme", prompt: "p", timeout: "1h", retries: 0, cancel: false },
} as AgentTask;

function org(spec: Record<string, unknown>, status?: Record<string, unknown>): Org {
  return OrgSchema.parse({
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: { name: "acme" },
    spec,
    ...(status ? { status } : {}),
  });
}

describe("the answer to POST /schedule", () => {
  it("names the agent objects and an in-cluster editor for an Org without a mesh", () => {
    expect(scheduleResponse(task, org({}))).toEqual({
      task: { name: "task-x1", namespace: "org-acme", uid: "u-1" },
      org: "acme",
      cluster: "local",
      agent: {
        deployment: "task-x1",
        service: "task-x1",
        editorHostname: "task-x1.org-acme.svc.cluster.local",
      },
      links: {
        self: "/api/v1/tasks/org-acme/task-x1",
        logs: "/api/v1/tasks/org-acme/task-x1/logs",
        cancel: "/api/v1/tasks/org-acme/task-x1/cancel",
        events: "/api/v1/events?org=acme",
      },
    });
  });

  it("gives the tailnet name when the Org exposes editors with Tailscale", () => {
    const tailnet = org({ mesh: { provider: "tailscale", tailnetDomain: "tail1234.ts.net" } });
    expect(scheduleResponse(task, tailnet).agent.editorHostname).toBe("acme-task-x1.tail1234.ts.net");
    const short = org({ mesh: { provider: "tailscale", hostnamePattern: "ed-{task}" } });
    expect(scheduleResponse(task, short).agent.editorHostname).toBe("ed-task-x1");
  });

  it("names the Org's own cluster by its kubeconfig Secret", () => {
    const remote = org({
      cluster: { kubeconfigSecretRef: { name: "acme-kubeconfig", namespace: "clusters" } },
    });
    expect(scheduleResponse(task, remote).cluster).toBe("clusters/acme-kubeconfig");
    expect(scheduleResponse(task, org({}, { cluster: "clusters/other" })).cluster).toBe("clusters/other");
  });
});
