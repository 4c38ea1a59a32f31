import { type AgentTask, AgentTaskSchema, type Org, OrgSchema } from "../../schema/index.ts";

/** An Org as the API server stores it: defaults filled in by the schema. */
export function org(spec: Record<string, unknown> = {}, name = "acme"): Org {
  return OrgSchema.parse({
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: { name, uid: "org-uid" },
    spec: { agent: { image: "agents/acme:1" }, ...spec },
  });
}

export function task(spec: Record<string, unknown> = {}, name = "fix-bug"): AgentTask {
  return AgentTaskSchema.parse({
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "AgentTask",
    metadata: { name, namespace: "org-acme", uid: "task-uid" },
    spec: { org: "acme", prompt: "Fix the bug", ...spec },
  });
}

/**
 * A rendered object read by tests, which reach deep into fields the renderers' return type leaves
 * open; `any` here keeps the assertions readable.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Rendered = Record<string, any>;
