import { rfc3339 } from "@agentyard/kube-runtime";
import { type AgentState, SUSPENDED, SUSPENDED_REASON } from "../../schema/contract/index.ts";
import type { AgentTask, AgentTaskStatus, LastPR, TaskPhase } from "../../schema/index.ts";
import { isTerminal, parseDuration, toLastPR } from "../../schema/index.ts";
import { type ConditionInput, kstatus } from "./conditions.ts";

/** What the reconciler observed of one attempt's pod (the newest pod of the current attempt). */
export interface AgentPodView {
  phase?: string;
  ready: boolean;
  restarts: number;
  /** The agent container's last termination, when it crashed. */
  terminated?: { exitCode: number; reason?: string };
  waiting?: { reason?: string; message?: string };
}

export interface TaskWorld {
  task: AgentTask;
  now: Date;
  /** Whether the Org's quota lets the task start now; asked only of tasks that have not started. */
  admit: () => { admitted: boolean; message: string };
  pod?: AgentPodView;
  /** The agent's report of the current attempt. */
  state?: AgentState;
  editorIdleTimeoutMs?: number;
  /** When someone last asked to resume the task (ANNOTATION_RESUMED_AT): its editor's idle time counts from here too. */
  resumedAt?: Date;
  /** The Org's spec.git.pullRequests.failTaskOnError: a pushed branch without its pull request fails. */
  pullRequestErrorFails?: boolean;
}

/** Whether the task's children exist and, if so, whether the agent pod runs. */
export type ChildrenWanted = "none" | "running" | "stopped";

export interface TaskDecision {
  status: AgentTaskStatus;
  conditions: ConditionInput[];
  children: ChildrenWanted;
  requeueAfterMs?: number;
  deleteTask?: boolean;
}

/** A pod whose agent container crashed this often is a failed attempt, not a slow one. */
export const CRASH_RESTARTS = 3;
const RETRY_BASE_MS = 10_000;
const RETRY_MAX_MS = 5 * 60_000;

export function retryBackoffMs(failedAttempt: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, failedAttempt - 1), RETRY_MAX_MS);
}

function conditionsFor(phase: TaskPhase, reason: string, message: string): ConditionInput[] {
  switch (phase) {
    case "Running":
    case "Succeeded":
      return kstatus("Ready", reason, message);
    case "Failed":
    case "TimedOut":
      return kstatus("Stalled", reason, message);
    case "Cancelled":
    case "Suspended":
      // Done as asked: neither in progress nor failed, so kstatus reads it as Current.
      return [
        { type: "Ready", status: "False", reason, message },
        { type: "Reconciling", status: "False", reason, message: "" },
        { type: "Stalled", status: "False", reason, message: "" },
      ];
    default:
      return kstatus("Reconciling", reason, message);
  }
}

function decide(
  status: AgentTaskStatus,
  phase: TaskPhase,
  reason: string,
  message: string,
  children: ChildrenWanted,
  requeueAfterMs?: number,
): TaskDecision {
  const next: AgentTaskStatus = { ...status, phase, message };
  const decision: TaskDecision = {
    status: next,
    conditions: conditionsFor(phase, reason, message),
    children,
  };
  if (requeueAfterMs !== undefined) decision.requeueAfterMs = Math.max(1000, Math.ceil(requeueAfterMs));
  return decision;
}

function finished(world: TaskWorld, final: AgentTaskStatus): TaskDecision {
  let status = final;
  const { task, now } = world;
  const phase = status.phase as TaskPhase;
  const finishedAt = status.finishedAt ? new Date(status.finishedAt) : now;
  // The editor stays up after the work ends, for people to look, unless it has been idle too long.
  // A task cancelled before it started never gets children.
  let children: ChildrenWanted =
    (status.attempts ?? 0) === 0
      ? "none"
      : phase === "Succeeded" || phase === "Failed"
        ? "running"
        : "stopped";
  let requeueAfterMs: number | undefined;
  let suspension: Suspension | undefined;
  if (children === "running" && task.spec.suspend) {
    suspension = {
      reason: SUSPENDED_REASON.suspended,
      message: "the editor is stopped: spec.suspend is true",
    };
  } else if (children === "running" && world.editorIdleTimeoutMs !== undefined) {
    const idleUntil = lastActivity(world, finishedAt).getTime() + world.editorIdleTimeoutMs;
    if (now.getTime() >= idleUntil) {
      suspension = {
        reason: SUSPENDED_REASON.editorIdle,
        message: `the editor was idle for ${Math.round(world.editorIdleTimeoutMs / 1000)}s; resume the task to open it again`,
      };
    } else requeueAfterMs = idleUntil - now.getTime();
  }
  if (suspension) children = "stopped";
  status = suspendedSince(status, suspension !== undefined, now);
  const ttl = task.spec.ttlSecondsAfterFinished;
  if (ttl !== undefined) {
    const expires = finishedAt.getTime() + ttl * 1000;
    if (now.getTime() >= expires) {
      return {
        ...decide(status, phase, phaseReason(status), status.message ?? "", children),
        deleteTask: true,
      };
    }
    requeueAfterMs = Math.min(requeueAfterMs ?? Number.POSITIVE_INFINITY, expires - now.getTime());
  }
  const decision = decide(status, phase, phaseReason(status), status.message ?? "", children, requeueAfterMs);
  return withSuspended(world.task, decision, suspension);
}

/** Why a task's agent is held stopped while its workspace and editor password are kept. */
interface Suspension {
  reason: (typeof SUSPENDED_REASON)["suspended" | "editorIdle"];
  message: string;
}

/** The editor's last sign of use: its activity, the task's end, or a request to resume it. */
function lastActivity(world: TaskWorld, finishedAt: Date): Date {
  const times = [finishedAt.getTime()];
  if (world.state?.editorActivityAt) times.push(Date.parse(world.state.editorActivityAt));
  if (world.resumedAt) times.push(world.resumedAt.getTime());
  return new Date(Math.max(...times));
}

/** status.suspendedAt: set when the agent is first held, gone once it runs again. */
function suspendedSince(status: AgentTaskStatus, suspended: boolean, now: Date): AgentTaskStatus {
  if (suspended) return status.suspendedAt ? status : { ...status, suspendedAt: rfc3339(now) };
  const { suspendedAt: _, ...rest } = status;
  return rest;
}

/**
 * The Suspended condition: True while the agent is held, False once it was and is no more; a task
 * never suspended carries none.
 */
function withSuspended(
  task: AgentTask,
  decision: TaskDecision,
  suspension: Suspension | undefined,
): TaskDecision {
  if (suspension) {
    const condition = { type: SUSPENDED, status: "True" as const, ...suspension };
    return { ...decision, conditions: [...decision.conditions, condition] };
  }
  if (!task.status?.conditions?.some((c) => c.type === SUSPENDED)) return decision;
  const resumed = {
    type: SUSPENDED,
    status: "False" as const,
    reason: SUSPENDED_REASON.notSuspended,
    message: "",
  };
  return { ...decision, conditions: [...decision.conditions, resumed] };
}

/**
 * A task not yet final held by spec.suspend: no agent (its Deployment at zero replicas, its pod
 * deleted), its workspace claim, editor Secret and state kept. The attempt's timeout stops counting.
 */
function suspendedTask(world: TaskWorld, status: AgentTaskStatus): TaskDecision {
  const attempts = status.attempts ?? 0;
  const next = suspendedSince(withArtifacts(status, world.state), true, world.now);
  const message =
    attempts === 0
      ? "suspended before it started: spec.suspend is true"
      : `suspended during attempt ${attempts}: spec.suspend is true; the attempt goes on in the same workspace once it is false`;
  const decision = decide(next, "Suspended", "Suspended", message, attempts === 0 ? "none" : "stopped");
  return withSuspended(world.task, decision, { reason: SUSPENDED_REASON.suspended, message });
}

/**
 * A suspended task that resumes: its attempt's start moves by the time it was suspended, so its
 * timeout counts running time only; a task suspended before it started waits for the quota again.
 */
function resumedStatus(status: AgentTaskStatus, now: Date): AgentTaskStatus {
  const paused = status.suspendedAt ? now.getTime() - Date.parse(status.suspendedAt) : 0;
  const next = suspendedSince(status, false, now);
  const attempts = next.attempts ?? 0;
  if (attempts === 0) return { ...next, phase: "Pending" };
  const attemptStartedAt = next.attemptStartedAt
    ? rfc3339(new Date(Date.parse(next.attemptStartedAt) + paused))
    : next.attemptStartedAt;
  return { ...next, phase: "Starting", ...(attemptStartedAt ? { attemptStartedAt } : {}) };
}

/** The reason recorded for a final phase: the phase's own name. */
function phaseReason(status: AgentTaskStatus): string {
  return status.phase ?? "Pending";
}

/**
 * The status with the attempt's artifact. A refused artifact keeps an earlier attempt's lastPR and says
 * why beside it; a new artifact clears the note of an earlier one.
 */
function withArtifacts(status: AgentTaskStatus, state: AgentState | undefined): AgentTaskStatus {
  if (!state?.lastPR && !state?.lastPRError) return status;
  const artifacts = { ...status.artifacts };
  if (state.lastPR) artifacts.lastPR = toLastPR(state.lastPR);
  if (state.lastPRError) artifacts.lastPRError = state.lastPRError;
  else delete artifacts.lastPRError;
  return { ...status, artifacts };
}

/**
 * The status with when the task first ran: the agent's report of its start when there is one (a quick
 * agent may finish before the operator sees it running), else `seenNow`. Kept once set, across retries.
 */
function withRunningAt(
  status: AgentTaskStatus,
  state: AgentState | undefined,
  seenNow?: string,
): AgentTaskStatus {
  const since = state?.startedAt ?? seenNow;
  return status.runningAt || !since ? status : { ...status, runningAt: since };
}

/** The message of a task whose agent exited 0: a push, a push whose report was cut or refused, or none. */
function succeededMessage(pr: LastPR | undefined, state: AgentState | undefined): string {
  const error = state?.lastPRError;
  if (error && !state?.lastPR) return `finished, but the agent's report of its change was refused: ${error}`;
  if (!pr) return "finished: no changes to push";
  const pushed = `finished: pushed ${pr.branch} at ${pr.commit.slice(0, 12)}${pullRequestPart(pr)}`;
  return error
    ? `${pushed}; its report was cut to fit the status (see status.artifacts.lastPRError)`
    : pushed;
}

function pullRequestPart(pr: LastPR): string {
  if (pr.number !== undefined) return `; pull request #${pr.number} (${pr.state ?? "open"})`;
  return pr.pullRequestError ? `; no pull request: ${pr.pullRequestError}` : "";
}

function describeExit(state: AgentState | undefined, exitCode: number): string {
  const detail = state?.message ? `: ${state.message}` : "";
  return `the agent exited with code ${exitCode}${detail}`;
}

/**
 * The next status of a task and what its children should be, from what was observed: the heart of
 * the AgentTask reconciler, kept pure so that every transition is tested without a cluster.
 */
export function decideTask(world: TaskWorld): TaskDecision {
  const { task, now } = world;
  const stored: AgentTaskStatus = { ...(task.status ?? {}) };
  delete stored.conditions;
  const storedPhase: TaskPhase = stored.phase ?? "Pending";

  if (isTerminal(storedPhase))
    return finished(world, { ...withArtifacts(stored, world.state), phase: storedPhase });

  if (task.spec.cancel) {
    const next = {
      ...suspendedSince(withArtifacts(stored, world.state), false, now),
      finishedAt: rfc3339(now),
    };
    return finished(world, { ...next, phase: "Cancelled", message: "cancelled: spec.cancel is true" });
  }

  if (task.spec.suspend) return suspendedTask(world, stored);
  const resuming = storedPhase === "Suspended";
  const decision = decideActive(world, resuming ? resumedStatus(stored, now) : stored, resuming);
  return withSuspended(task, decision, undefined);
}

/** A task that is neither final nor held: waiting for its quota, starting, running or retrying. */
/**
 * The agent's report, less a start it reported before the task last resumed: the pod that resumes
 * the attempt has not started yet. A start reported since the resume counts (an agent's clock behind
 * the operator's only means the pod's readiness tells instead).
 */
function sinceResume(
  task: AgentTask,
  state: AgentState | undefined,
  resuming: boolean,
): AgentState | undefined {
  if (!state?.startedAt || state.finishedAt) return state;
  const suspended = task.status?.conditions?.find((c) => c.type === SUSPENDED);
  if (!resuming && !suspended) return state;
  const resumedAt =
    resuming || !suspended ? Number.POSITIVE_INFINITY : Date.parse(suspended.lastTransitionTime);
  if (Date.parse(state.startedAt) >= resumedAt) return state;
  const { startedAt: _, ...rest } = state;
  return rest;
}

/**
 * A report the runtime wrote when its pod was deleted (a suspend, an eviction) is no outcome: the
 * attempt runs again in the pod that resumes or replaces it, and is neither finished nor running
 * until that pod reports.
 */
function unstopped(state: AgentState | undefined): AgentState | undefined {
  if (!state?.stopped) return state;
  const { finishedAt: _, exitCode: __, message: ___, startedAt: ____, stopped: _____, ...rest } = state;
  return rest;
}

function decideActive(world: TaskWorld, status: AgentTaskStatus, resuming: boolean): TaskDecision {
  const { task, now, pod } = world;
  const attempts = status.attempts ?? 0;
  const state = unstopped(sinceResume(task, world.state, resuming));

  if (attempts === 0) {
    const { admitted, message } = world.admit();
    if (!admitted) return decide(status, "Queued", "Queued", message, "none", 60_000);
    const started = { ...status, attempts: 1, startedAt: rfc3339(now), attemptStartedAt: rfc3339(now) };
    return decide(
      started,
      "Starting",
      "Starting",
      "starting attempt 1: waiting for the agent pod",
      "running",
      5_000,
    );
  }

  const attemptStarted = new Date(status.attemptStartedAt ?? status.startedAt ?? now.toISOString());
  const timeoutMs = parseDuration(task.spec.timeout);
  const crashed = pod?.terminated && pod.terminated.exitCode !== 0 && pod.restarts >= CRASH_RESTARTS;

  if (state?.finishedAt || crashed) {
    const exitCode = state?.finishedAt ? (state.exitCode ?? 1) : (pod?.terminated?.exitCode ?? 1);
    const finishedAt = state?.finishedAt ?? rfc3339(now);
    const withPR = withRunningAt(withArtifacts(status, state), state);
    const lastPR = withPR.artifacts?.lastPR;
    // This attempt's own report: a branch an earlier attempt pushed is not this attempt's failure.
    const pullRequestFailed = world.pullRequestErrorFails && state?.lastPR?.pullRequestError !== undefined;
    if (exitCode === 0 && !pullRequestFailed) {
      const message = succeededMessage(lastPR, state);
      return finished(world, { ...withPR, phase: "Succeeded", finishedAt, message });
    }
    const why =
      exitCode === 0
        ? `pushed ${lastPR?.branch}, but its pull request could not be opened (spec.git.pullRequests.failTaskOnError): ${lastPR?.pullRequestError}`
        : state?.finishedAt
          ? describeExit(state, exitCode)
          : `the agent container crashed (exit ${exitCode}${pod?.terminated?.reason ? `, ${pod.terminated.reason}` : ""})`;
    if (attempts <= task.spec.retries) {
      const retryAt = new Date(finishedAt).getTime() + retryBackoffMs(attempts);
      if (now.getTime() < retryAt) {
        const message = `attempt ${attempts} failed: ${why}; attempt ${attempts + 1} starts in ${Math.ceil((retryAt - now.getTime()) / 1000)}s`;
        return decide(withPR, "Starting", "RetryBackoff", message, "running", retryAt - now.getTime());
      }
      const next = { ...withPR, attempts: attempts + 1, attemptStartedAt: rfc3339(now) };
      const message = `starting attempt ${attempts + 1} after: ${why}`;
      return decide(next, "Starting", "Retrying", message, "running", 5_000);
    }
    const tries = attempts === 1 ? "" : ` (after ${attempts} attempts)`;
    return finished(world, { ...withPR, phase: "Failed", finishedAt, message: `${why}${tries}` });
  }

  const elapsed = now.getTime() - attemptStarted.getTime();
  if (elapsed >= timeoutMs) {
    const message = `attempt ${attempts} ran longer than spec.timeout (${task.spec.timeout})`;
    return finished(world, {
      ...withArtifacts(status, state),
      phase: "TimedOut",
      finishedAt: rfc3339(now),
      message,
    });
  }
  const untilTimeout = timeoutMs - elapsed;

  // The agent's readiness probe passes once it has started, so a ready pod means a running agent.
  if (state?.startedAt || pod?.ready) {
    const message = `the agent is running attempt ${attempts}`;
    const running = withRunningAt(withArtifacts(status, state), state, rfc3339(now));
    return decide(running, "Running", "Running", message, "running", untilTimeout);
  }
  const reason = pod?.waiting?.reason;
  const waiting =
    reason && !STARTING_NORMALLY.has(reason)
      ? `${reason}${pod?.waiting?.message ? `: ${pod.waiting.message}` : ""}`
      : "waiting for the agent pod";
  return decide(
    status,
    "Starting",
    "Starting",
    `starting attempt ${attempts}: ${waiting}`,
    "running",
    Math.min(untilTimeout, 30_000),
  );
}

/**
 * Waiting reasons of a pod on its way to start, which need nobody: the message says only what needs
 * someone (ImagePullBackOff, Unschedulable, a bad Secret), so an agent starting normally costs one
 * status write for Starting and one for Running, not one per step the kubelet takes.
 */
const STARTING_NORMALLY = new Set(["ContainerCreating", "PodInitializing"]);

/** Why a task's agents go while the task stays: its Org is being deleted or is missing, or moved. */
export interface Withdrawal {
  reason: "OrgDeleted" | "OrgNotFound" | "ClusterChanged";
  message: string;
}

/** A final task whose agents are gone keeps its phase and conditions; only ttlSecondsAfterFinished still acts on it. */
export function decideSettled(task: AgentTask, now: Date): TaskDecision {
  const status: AgentTaskStatus = { ...(task.status ?? {}) };
  delete status.conditions;
  const decision: TaskDecision = { status, conditions: [], children: "none" };
  const ttl = task.spec.ttlSecondsAfterFinished;
  if (ttl === undefined) return decision;
  const expires = new Date(status.finishedAt ?? now).getTime() + ttl * 1000;
  if (now.getTime() >= expires) return { ...decision, deleteTask: true };
  return { ...decision, requeueAfterMs: Math.max(1000, Math.ceil(expires - now.getTime())) };
}

/**
 * The next status of a task whose agents must go and not come back while `why` holds: kept pure
 * like decideTask. Its children are always "none". A final task stays as it is. A task of an Org
 * being deleted is Cancelled (OrgDeleted); a started task whose Org moved to another cluster
 * Failed (ClusterChanged). A task whose Org is missing waits Stalled for it, but spec.cancel and
 * spec.timeout still end it.
 */
export function decideWithdrawn(task: AgentTask, now: Date, why: Withdrawal): TaskDecision {
  const status: AgentTaskStatus = { ...(task.status ?? {}) };
  delete status.conditions;
  const phase: TaskPhase = status.phase ?? "Pending";
  if (isTerminal(phase)) return decideSettled(task, now);
  const end = (to: TaskPhase, reason: string, message: string) =>
    decide({ ...status, finishedAt: rfc3339(now) }, to, reason, message, "none");
  if (task.spec.cancel) return end("Cancelled", "Cancelled", "cancelled: spec.cancel is true");
  if (why.reason === "OrgDeleted") return end("Cancelled", why.reason, why.message);
  if (why.reason === "ClusterChanged") return end("Failed", why.reason, why.message);
  const attempts = status.attempts ?? 0;
  let requeueAfterMs: number | undefined;
  if (attempts > 0) {
    const attemptStarted = new Date(status.attemptStartedAt ?? status.startedAt ?? now.toISOString());
    const untilTimeout = attemptStarted.getTime() + parseDuration(task.spec.timeout) - now.getTime();
    if (untilTimeout <= 0) {
      return end(
        "TimedOut",
        "TimedOut",
        `attempt ${attempts} ran longer than spec.timeout (${task.spec.timeout})`,
      );
    }
    requeueAfterMs = Math.max(1000, Math.ceil(untilTimeout));
  }
  const decision: TaskDecision = {
    status: { ...status, phase, message: why.message },
    conditions: kstatus("Stalled", why.reason, why.message),
    children: "none",
  };
  if (requeueAfterMs !== undefined) decision.requeueAfterMs = requeueAfterMs;
  return decision;
}
