import { type AgentTask, isTerminal, type Org, taskKey } from "../schema/index.ts";
import { tasksInOrg } from "./tenancy.ts";

export const BY_ORG = "org";

interface TaskLister {
  byIndex(index: string, value: string): AgentTask[];
}

const started = (t: AgentTask) => (t.status?.attempts ?? 0) > 0;
const finished = (t: AgentTask) => t.status?.phase !== undefined && isTerminal(t.status.phase);
const waiting = (t: AgentTask) =>
  !started(t) && !finished(t) && !t.spec.cancel && !t.metadata.deletionTimestamp;

function olderFirst(a: AgentTask, b: AgentTask): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1;
}

/**
 * Org.spec.limits.maxConcurrentTasks: tasks beyond it wait, oldest first within their Org. Only tasks
 * in the Org's namespace count: one elsewhere naming the Org is not its, and never takes a place in
 * its queue. Decisions
 * are synchronous, so two reconciles cannot both take the last slot; a task admitted here counts as
 * running until the cache shows its new status.
 */
export class QuotaGate {
  private readonly tasks: TaskLister;
  private readonly admitted = new Map<string, string>();

  constructor(tasks: TaskLister) {
    this.tasks = tasks;
  }

  admit(task: AgentTask, org: Org): { admitted: boolean; message: string } {
    const orgName = org.metadata.name as string;
    const uid = task.metadata.uid as string;
    const all = tasksInOrg(this.tasks.byIndex(BY_ORG, orgName), org);
    const cached = new Map(all.map((t) => [t.metadata.uid as string, t]));
    for (const [id] of this.admitted) {
      const t = cached.get(id);
      if (!t || started(t) || finished(t)) this.admitted.delete(id);
    }
    if (this.admitted.has(uid)) return { admitted: true, message: "" };
    const max = org.spec.limits.maxConcurrentTasks;
    const active =
      all.filter((t) => started(t) && !finished(t)).length +
      [...this.admitted.values()].filter((o) => o === orgName).length;
    const queue = all
      .filter((t) => waiting(t) && !this.admitted.has(t.metadata.uid as string))
      .sort(olderFirst);
    const position = queue.findIndex((t) => t.metadata.uid === uid);
    if (position >= 0 && position < max - active) {
      this.admitted.set(uid, orgName);
      return { admitted: true, message: "" };
    }
    const ahead = position > 0 ? `; ${position} queued ahead of it` : "";
    return {
      admitted: false,
      message: `waiting for a free slot: ${active} of ${max} tasks of Org ${orgName} are running${ahead}`,
    };
  }

  /** Keys of an Org's waiting tasks, to wake them when a slot frees. */
  waitingKeys(orgName: string): string[] {
    return this.tasks.byIndex(BY_ORG, orgName).filter(waiting).map(taskKey);
  }
}
