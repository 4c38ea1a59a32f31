import type { AgentTask } from "../../schema/agenttask.ts";
import { isTerminal, type TaskPhase } from "../../schema/phase.ts";

/** The phase a task is in; a task the operator has not seen yet is Pending. */
export const phaseOf = (task: AgentTask): TaskPhase => task.status?.phase ?? "Pending";

/** 75s → "1m15s": elapsed times as people read them. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Since the task was created, until it finished. */
export function elapsedOf(task: AgentTask, now: number): string {
  const created = Date.parse(task.metadata?.creationTimestamp ?? "");
  const finished = Date.parse(task.status?.finishedAt ?? "");
  if (Number.isNaN(created)) return "0s";
  return elapsed((Number.isNaN(finished) ? now : finished) - created);
}

/** Conditions by type, status and reason: their messages repeat the status message. */
const conditionLine = (c: { type: string; status: string; reason?: string }) =>
  `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ""}`;

/** One line per fact a person follows: phase (with the status message) and each condition. */
export function facts(task: AgentTask): string[] {
  const message = task.status?.message ? ` — ${task.status.message}` : "";
  return [`${phaseOf(task)}${message}`, ...(task.status?.conditions ?? []).map(conditionLine)];
}

/**
 * For a pipe or a log file: the facts that changed since `previous`, each as a plain line. The
 * first call (no previous) tells all of them.
 */
export function changedLines(previous: AgentTask | undefined, next: AgentTask, now: number): string[] {
  const before = new Set(previous ? facts(previous) : []);
  const at = elapsedOf(next, now);
  return facts(next)
    .filter((fact) => !before.has(fact))
    .map((fact, i) =>
      i === 0 && fact.startsWith(phaseOf(next)) ? `[${at}] phase ${fact}` : `[${at}] ${fact}`,
    );
}

/** For a terminal, redrawn in place: what the task is doing now and the end of the agent's log. */
export function frame(task: AgentTask, now: number, logTail: readonly string[]): string {
  const ref = `${task.metadata?.namespace}/${task.metadata?.name}`;
  const [phase, ...conditions] = facts(task);
  return [
    `${ref}  ${phase}  ${elapsedOf(task, now)}`,
    ...conditions.map((line) => `  ${line}`),
    ...(logTail.length > 0 ? ["  log:", ...logTail.map((line) => `  │ ${readableLogLine(line)}`)] : []),
  ].join("\n");
}

/** Exit codes of `agentyard run` (docs/cli.md). */
export const EXIT = { succeeded: 0, taskDidNotSucceed: 1, couldNotFollow: 2 } as const;

/** How a finished task ends the command: the outcome, its PR or branch, its editor. */
export function outcome(task: AgentTask): { code: number; lines: string[] } {
  const phase = phaseOf(task);
  const status = task.status ?? {};
  const pr = status.artifacts?.lastPR;
  const lines = [
    `${task.metadata?.namespace}/${task.metadata?.name} ${phase}${status.message ? `: ${status.message}` : ""}`,
    ...(pr?.url ? [`  pull request: ${pr.url}`] : []),
    ...(pr
      ? [
          `  branch: ${pr.branch} at ${pr.commit.slice(0, 12)} (${pr.diffstat.files} files, +${pr.diffstat.insertions} -${pr.diffstat.deletions})`,
        ]
      : []),
    ...(status.artifacts?.lastPRError ? [`  last_pr.json: ${status.artifacts.lastPRError}`] : []),
    ...(status.editorURL ? [`  editor: ${status.editorURL}`] : []),
  ];
  const code = !isTerminal(phase)
    ? EXIT.couldNotFollow
    : phase === "Succeeded"
      ? EXIT.succeeded
      : EXIT.taskDidNotSucceed;
  return { code, lines };
}

/** The agent logs JSON records; a person following a task reads their messages. */
export function readableLogLine(line: string): string {
  if (!line.startsWith("{")) return line;
  try {
    const record = JSON.parse(line) as { msg?: unknown; message?: unknown };
    if (typeof record.msg !== "string") return line;
    return typeof record.message === "string" && record.message !== record.msg
      ? `${record.msg}: ${record.message}`
      : record.msg;
  } catch {
    return line;
  }
}
