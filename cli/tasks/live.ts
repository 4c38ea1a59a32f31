import { createLogUpdate } from "log-update";
import type { AgentTask } from "../../schema/agenttask.ts";
import { isTerminal } from "../../schema/phase.ts";
import type { ApiClient } from "../client/api.ts";
import { followTask, type TaskRef } from "./follow.ts";
import { taskPath } from "./resolve.ts";
import { changedLines, frame, phaseOf } from "./view.ts";

type Out = NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean; rows?: number });

/** The end of the agent's log, or nothing while it cannot be read (the pod is not up yet). */
export async function logTail(client: ApiClient, ref: TaskRef, lines: number): Promise<string[]> {
  try {
    const answer = await client.request<{ log: string }>(
      "GET",
      `${taskPath(ref.namespace, ref.name, "/logs")}?tailLines=${lines}`,
    );
    return answer.log.split("\n").filter((line) => line.length > 0);
  } catch {
    return [];
  }
}

const TICK_MS = 1_000;
const LOG_POLL_MS = 2_000;
const LOG_LINES = 6;

/**
 * Follows a task until it finishes and returns its last version. On a terminal, one block redrawn
 * in place (phase, elapsed time, conditions, the agent's log tail); otherwise a plain line for
 * each change, so that a pipe or a CI log reads top to bottom.
 */
export async function watchTask(
  client: ApiClient,
  ref: TaskRef,
  out: Out,
  signal: AbortSignal,
): Promise<AgentTask> {
  // A pseudo-terminal without a size (some CI runners) cannot be redrawn: it gets lines.
  const terminal = out.isTTY === true && (out.rows ?? 0) > 0;
  const draw = terminal ? createLogUpdate(out as NodeJS.WriteStream) : undefined;
  let current: AgentTask | undefined;
  let tail: string[] = [];
  const redraw = () => current && draw?.(frame(current, Date.now(), tail));
  const ticker = terminal ? setInterval(redraw, TICK_MS) : undefined;
  const poller = terminal
    ? setInterval(async () => {
        if (current && !isTerminal(phaseOf(current))) tail = await logTail(client, ref, LOG_LINES);
      }, LOG_POLL_MS)
    : undefined;
  try {
    for await (const task of followTask(client, ref, signal)) {
      if (!task) throw new Error(`${ref.namespace}/${ref.name} was deleted before it finished`);
      if (!terminal) for (const line of changedLines(current, task, Date.now())) out.write(`${line}\n`);
      current = task;
      redraw();
      if (isTerminal(phaseOf(task))) return task;
    }
    throw new Error("stopped following before the task finished");
  } finally {
    clearInterval(ticker);
    clearInterval(poller);
    draw?.done();
  }
}
