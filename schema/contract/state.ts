import { z } from "zod";
import { type LastPRArtifact, LastPRArtifactSchema } from "../artifact.ts";
import { formatIssues } from "../issues.ts";

/**
 * The agent's reports, as the data of its state ConfigMap `<task>-state`: the only object the agent
 * may write. ConfigMap values are strings; parseAgentState turns them into typed values and drops
 * what does not validate, so a broken agent cannot break the operator.
 */
export const STATE_KEYS = {
  attempt: "attempt",
  startedAt: "startedAt",
  finishedAt: "finishedAt",
  exitCode: "exitCode",
  message: "message",
  logTail: "logTail",
  lastPR: "lastPR",
  editorActivityAt: "editorActivityAt",
} as const;

/** The bounded tail of the agent's output kept in the ConfigMap (the full log is the pod log). */
export const MAX_LOG_TAIL_BYTES = 16_384;
/** The operator reads at most this much of last_pr.json before refusing it. */
export const MAX_LAST_PR_BYTES = 65_536;

export interface AgentState {
  attempt: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  message?: string;
  logTail?: string;
  lastPR?: LastPRArtifact;
  /** Why lastPR was refused, when the agent wrote one that does not validate. */
  lastPRError?: string;
  editorActivityAt?: string;
}

const isoTime = z.iso.datetime({ offset: true });

function time(value: string | undefined): string | undefined {
  return value !== undefined && isoTime.safeParse(value).success ? value : undefined;
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d{1,10}$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

/** The agent's state for `attempt`, or undefined when the ConfigMap holds no report of that attempt. */
export function parseAgentState(
  data: Record<string, string> | undefined,
  attempt: number,
): AgentState | undefined {
  if (!data || int(data[STATE_KEYS.attempt]) !== attempt) return undefined;
  const state: AgentState = { attempt };
  const startedAt = time(data[STATE_KEYS.startedAt]);
  if (startedAt) state.startedAt = startedAt;
  const finishedAt = time(data[STATE_KEYS.finishedAt]);
  if (finishedAt) state.finishedAt = finishedAt;
  const exitCode = int(data[STATE_KEYS.exitCode]);
  if (exitCode !== undefined) state.exitCode = exitCode;
  const message = data[STATE_KEYS.message];
  if (message) state.message = message.slice(0, 1024);
  const logTail = data[STATE_KEYS.logTail];
  if (logTail) state.logTail = logTail.slice(-MAX_LOG_TAIL_BYTES);
  const editorActivityAt = time(data[STATE_KEYS.editorActivityAt]);
  if (editorActivityAt) state.editorActivityAt = editorActivityAt;
  const lastPR = data[STATE_KEYS.lastPR];
  if (lastPR) {
    if (Buffer.byteLength(lastPR) > MAX_LAST_PR_BYTES) {
      state.lastPRError = `last_pr.json is larger than ${MAX_LAST_PR_BYTES} bytes`;
    } else {
      try {
        const parsed = LastPRArtifactSchema.safeParse(JSON.parse(lastPR));
        if (parsed.success) state.lastPR = parsed.data;
        else state.lastPRError = `last_pr.json is invalid: ${formatIssues(parsed.error).join("; ")}`;
      } catch {
        state.lastPRError = "last_pr.json is not JSON";
      }
    }
  }
  return state;
}

/** The ConfigMap data an agent writes for its state; the inverse of parseAgentState. */
export function formatAgentState(state: AgentState): Record<string, string> {
  const data: Record<string, string> = { [STATE_KEYS.attempt]: String(state.attempt) };
  if (state.startedAt) data[STATE_KEYS.startedAt] = state.startedAt;
  if (state.finishedAt) data[STATE_KEYS.finishedAt] = state.finishedAt;
  if (state.exitCode !== undefined) data[STATE_KEYS.exitCode] = String(state.exitCode);
  if (state.message) data[STATE_KEYS.message] = state.message;
  if (state.logTail) data[STATE_KEYS.logTail] = state.logTail.slice(-MAX_LOG_TAIL_BYTES);
  if (state.lastPR) data[STATE_KEYS.lastPR] = JSON.stringify(state.lastPR);
  if (state.editorActivityAt) data[STATE_KEYS.editorActivityAt] = state.editorActivityAt;
  return data;
}
