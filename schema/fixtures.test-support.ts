import { type AgentTask, AgentTaskSchema } from "./agenttask.ts";
import { AGENT_TASK_KIND, API_VERSION, ORG_KIND } from "./api.ts";
import { type Org, OrgSchema } from "./org.ts";

/**
 * Orgs and AgentTasks for tests: manifests as a person applies them, and org() and task() as the
 * API server stores them, with the schemas' defaults filled in and a uid, as informers hold them.
 */

/** An Org to apply; its agent image is a test image unless the spec names one. */
export function orgManifest(name: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: API_VERSION,
    kind: ORG_KIND,
    metadata: { name },
    spec: { agent: { image: "agents/test:1" }, ...spec },
  };
}

export function taskManifest(name: string, namespace: string, spec: Record<string, unknown>) {
  return { apiVersion: API_VERSION, kind: AGENT_TASK_KIND, metadata: { name, namespace }, spec };
}

/** The Org "acme" as stored, with `spec` over its defaults. */
export function org(spec: Record<string, unknown> = {}, name = "acme"): Org {
  const manifest = orgManifest(name, { agent: { image: "agents/acme:1" }, ...spec });
  return OrgSchema.parse({ ...manifest, metadata: { ...manifest.metadata, uid: "org-uid" } });
}

/** A task of "acme" as stored, with `spec` over its defaults. */
export function task(spec: Record<string, unknown> = {}, name = "fix-bug"): AgentTask {
  const manifest = taskManifest(name, "org-acme", { org: "acme", prompt: "Fix the bug", ...spec });
  return AgentTaskSchema.parse({ ...manifest, metadata: { ...manifest.metadata, uid: "task-uid" } });
}

/** An agent's last_pr.json, as the agent writes it after a push. */
export const lastPRArtifact = {
  task: "fix-login",
  org: "acme",
  repo: "https://github.com/acme/app.git",
  baseBranch: "main",
  branch: "agentyard/fix-login",
  commit: "0123456789abcdef0123456789abcdef01234567",
  title: "Fix the login redirect loop",
  summary: "Stopped the redirect.",
  diffstat: { files: 2, insertions: 10, deletions: 3 },
  url: "https://github.com/acme/app/pull/7",
  exitCode: 0,
  createdAt: "2026-01-01T00:10:00Z",
};
