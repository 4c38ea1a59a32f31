import { z } from "zod";
import { MAX_LAST_PR_ERROR_LENGTH } from "../agenttask.ts";
import { fitArtifact, type LastPRArtifact, LastPRArtifactSchema, truncate } from "../artifact.ts";
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
  stopped: "stopped",
} as const;

/** The bounded tail of the agent's output kept in the ConfigMap (the full log is the pod log). */
export const MAX_LOG_TAIL_BYTES = 16_384;
/** The operator reads at most this much of last_pr.json before refusing it. */
export const MAX_LAST_PR_BYTES = 65_536;
/** The longest message the operator keeps; the status quotes it in its own message. */
export const MAX_MESSAGE_LENGTH = 1024;

export interface AgentState {
  attempt: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  message?: string;
  logTail?: string;
  lastPR?: LastPRArtifact;
  /** Why lastPR was refused, or which of its texts were cut to the bounds of the status. */
  lastPRError?: string;
  editorActivityAt?: string;
  /**
   * The runtime was stopped (SIGTERM: its pod was deleted) before the attempt ended: the report
   * tells how far it got, not how it ended. A new pod of the same attempt runs it again.
   */
  stopped?: boolean;
}

const isoTime = z.iso.datetime({ offset: true });

function time(value: string | undefined): string | undefined {
  return value !== undefined && isoTime.safeParse(value).success ? value : undefined;
}

function int(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d{1,10}$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

/**
 * The artifact within the bounds of the status, and a note when it was cut; or only why it was refused.
 * Cutting happens here, where the agent's output enters the operator, so that no text of it can make a
 * status write fail.
 */
function readLastPR(text: string): { artifact?: LastPRArtifact; error?: string } {
  if (Buffer.byteLength(text) > MAX_LAST_PR_BYTES) {
    return { error: `the agent pushed, but its last_pr.json is larger than ${MAX_LAST_PR_BYTES} bytes` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: "last_pr.json is not JSON" };
  }
  const parsed = LastPRArtifactSchema.safeParse(json);
  if (!parsed.success) return { error: `last_pr.json is invalid: ${formatIssues(parsed.error).join("; ")}` };
  const { artifact, cut } = fitArtifact(parsed.data);
  if (cut.length === 0) return { artifact };
  return {
    artifact,
    error: `last_pr.json is longer than the status allows; cut, marked with …: ${cut.join(", ")}`,
  };
}

/**
 * The artifact as the agent reports it: within the bounds of the status, and small enough that the
 * operator reads it (the summary is cut further when escaping makes the JSON too large).
 */
export function boundArtifact(artifact: LastPRArtifact): LastPRArtifact {
  let fit = fitArtifact(artifact).artifact;
  while (Buffer.byteLength(JSON.stringify(fit)) > MAX_LAST_PR_BYTES && fit.summary.length > 1) {
    fit = { ...fit, summary: truncate(fit.summary, Math.floor(fit.summary.length / 2)) };
  }
  return fit;
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
  if (message) state.message = truncate(message, MAX_MESSAGE_LENGTH);
  const logTail = data[STATE_KEYS.logTail];
  if (logTail) state.logTail = logTail.slice(-MAX_LOG_TAIL_BYTES);
  const editorActivityAt = time(data[STATE_KEYS.editorActivityAt]);
  if (editorActivityAt) state.editorActivityAt = editorActivityAt;
  if (data[STATE_KEYS.stopped] === "true") state.stopped = true;
  const lastPR = data[STATE_KEYS.lastPR];
  if (lastPR) {
    const read = readLastPR(lastPR);
    if (read.artifact) state.lastPR = read.artifact;
    if (read.error) state.lastPRError = truncate(read.error, MAX_LAST_PR_ERROR_LENGTH);
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
  if (state.stopped) data[STATE_KEYS.stopped] = "true";
  return data;
}
