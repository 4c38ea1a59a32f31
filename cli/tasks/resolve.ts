import type { AgentTask } from "../../schema/agenttask.ts";
import { type ApiClient, ApiError } from "../client/api.ts";
import type { TaskRef } from "./follow.ts";

export const taskPath = (namespace: string, name: string, sub = "") =>
  `/api/v1/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${sub}`;

/** Every task the caller may see (optionally of one Org), page by page. */
export async function listTasks(
  client: ApiClient,
  query: { org?: string; phase?: string },
): Promise<AgentTask[]> {
  const tasks: AgentTask[] = [];
  let next: string | undefined;
  do {
    const params = new URLSearchParams({ limit: "500" });
    if (query.org) params.set("org", query.org);
    if (query.phase) params.set("phase", query.phase);
    if (next) params.set("continue", next);
    const page = await client.request<{ items: AgentTask[]; continue?: string }>(
      "GET",
      `/api/v1/tasks?${params}`,
    );
    tasks.push(...page.items);
    next = page.continue;
  } while (next);
  return tasks;
}

/**
 * `<namespace>/<name>`, or a bare name looked up among the caller's tasks (of `org`, when given):
 * people remember the name `agentyard run` printed, not the Org's namespace.
 */
export async function resolveTask(
  client: ApiClient,
  arg: string,
  org?: string,
): Promise<{ ref: TaskRef; task: AgentTask }> {
  const slash = arg.indexOf("/");
  let task: AgentTask;
  if (slash > 0) {
    task = await client.request<AgentTask>("GET", taskPath(arg.slice(0, slash), arg.slice(slash + 1)));
  } else {
    const found = (await listTasks(client, org ? { org } : {})).filter((t) => t.metadata?.name === arg);
    if (found.length === 0)
      throw new ApiError(404, `no task named ${arg}${org ? ` in Org ${org}` : ""} that you may read`);
    if (found.length > 1) {
      const where = found.map((t) => `${t.metadata?.namespace}/${arg}`).join(", ");
      throw new ApiError(409, `more than one task is named ${arg}: give one of ${where}`);
    }
    task = found[0] as AgentTask;
  }
  return {
    task,
    ref: { org: task.spec.org, namespace: task.metadata?.namespace ?? "", name: task.metadata?.name ?? arg },
  };
}
