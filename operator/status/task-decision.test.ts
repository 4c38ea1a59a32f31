import { describe, expect, it } from "vitest";
import { type AgentState, parseAgentState } from "../../schema/contract/index.ts";
import { task as makeTask } from "../../schema/fixtures.test-support.ts";
import { type AgentTaskStatus, AgentTaskStatusSchema, toLastPR as toStatus } from "../../schema/index.ts";
import { decideTask, retryBackoffMs, type TaskWorld } from "./task-decision.ts";

const NOW = new Date("2026-11-24T12:00:00Z");
const at = (offsetS: number) =>
  new Date(NOW.getTime() + offsetS * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

function world(
  spec: Record<string, unknown>,
  status: AgentTaskStatus | undefined,
  extra: Partial<TaskWorld> = {},
): TaskWorld {
  const task = makeTask(spec);
  if (status) task.status = status;
  return { task, now: NOW, admit: () => ({ admitted: true, message: "" }), ...extra };
}

const started: AgentTaskStatus = {
  phase: "Starting",
  attempts: 1,
  startedAt: at(-60),
  attemptStartedAt: at(-60),
};
const lastPR = {
  task: "fix-bug",
  org: "acme",
  repo: "https://git.example/acme/app.git",
  baseBranch: "main",
  branch: "agentyard/fix-bug",
  commit: "0123456789abcdef0123456789abcdef01234567",
  title: "Fix the bug",
  summary: "Fixed it",
  diffstat: { files: 1, insertions: 2, deletions: 0 },
  exitCode: 0,
  createdAt: at(-5),
};
const state = (s: Partial<AgentState>): AgentState => ({ attempt: 1, startedAt: at(-50), ...s });

describe("decideTask", () => {
  it("starts an admitted new task", () => {
    const d = decideTask(world({}, undefined));
    expect(d.status).toMatchObject({
      phase: "Starting",
      attempts: 1,
      startedAt: at(0),
      attemptStartedAt: at(0),
    });
    expect(d.children).toBe("running");
    expect(d.conditions.find((c) => c.type === "Reconciling")?.status).toBe("True");
  });

  it("queues a task the quota does not admit, creating nothing", () => {
    const d = decideTask(
      world({}, undefined, { admit: () => ({ admitted: false, message: "2 of 2 running" }) }),
    );
    expect(d.status).toMatchObject({ phase: "Queued", message: "2 of 2 running" });
    expect(d.status.attempts).toBeUndefined();
    expect(d.children).toBe("none");
  });

  it("waits in Starting with the pod's reason", () => {
    const d = decideTask(
      world({}, started, {
        pod: { ready: false, restarts: 0, waiting: { reason: "ImagePullBackOff", message: "no such image" } },
      }),
    );
    expect(d.status.phase).toBe("Starting");
    expect(d.status.message).toBe("starting attempt 1: ImagePullBackOff: no such image");
  });

  it("keeps its Starting message while the pod starts normally: no status write per kubelet step", () => {
    const message = (pod: TaskWorld["pod"]) => decideTask(world({}, started, { pod })).status.message;
    expect(message(undefined)).toBe("starting attempt 1: waiting for the agent pod");
    expect(message({ ready: false, restarts: 0, phase: "Pending" })).toBe(
      "starting attempt 1: waiting for the agent pod",
    );
    expect(
      message({ ready: false, restarts: 0, phase: "Pending", waiting: { reason: "ContainerCreating" } }),
    ).toBe("starting attempt 1: waiting for the agent pod");
    expect(message({ ready: false, restarts: 0, phase: "Running" })).toBe(
      "starting attempt 1: waiting for the agent pod",
    );
    expect(
      message({
        ready: false,
        restarts: 0,
        waiting: { reason: "CreateContainerConfigError", message: "no key" },
      }),
    ).toBe("starting attempt 1: CreateContainerConfigError: no key");
  });

  it("is Running (and Ready) once the agent reports it started or its pod is ready", () => {
    const d = decideTask(world({}, started, { state: state({}) }));
    expect(d.status.phase).toBe("Running");
    expect(d.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(decideTask(world({}, started, { pod: { ready: true, restarts: 0 } })).status.phase).toBe(
      "Running",
    );
  });

  it("records when the task first ran: the agent's start, else when its pod was first ready", () => {
    expect(decideTask(world({}, started, { state: state({}) })).status.runningAt).toBe(at(-50));
    const ready = decideTask(world({}, started, { pod: { ready: true, restarts: 0 } }));
    expect(ready.status.runningAt).toBe(at(0));
    const retried = { ...started, attempts: 2, phase: "Running" as const, runningAt: at(-40) };
    expect(
      decideTask(world({ retries: 1 }, retried, { state: state({ attempt: 2 }) })).status.runningAt,
    ).toBe(at(-40));
    expect(decideTask(world({}, started)).status.runningAt).toBeUndefined();
  });

  it("records the agent's start of a task that finished before it was seen running", () => {
    const d = decideTask(world({}, started, { state: state({ finishedAt: at(-1), exitCode: 0 }) }));
    expect(d.status).toMatchObject({ phase: "Succeeded", runningAt: at(-50), finishedAt: at(-1) });
    expect(AgentTaskStatusSchema.safeParse(d.status).success).toBe(true);
  });

  it("succeeds with the artifact mirrored into status, keeping the editor up", () => {
    const d = decideTask(
      world(
        {},
        { ...started, phase: "Running" },
        { state: state({ finishedAt: at(-1), exitCode: 0, lastPR }) },
      ),
    );
    expect(d.status).toMatchObject({
      phase: "Succeeded",
      finishedAt: at(-1),
      message: "finished: pushed agentyard/fix-bug at 0123456789ab",
    });
    expect(d.status.artifacts?.lastPR).toMatchObject({
      branch: "agentyard/fix-bug",
      base: "main",
      diffstat: { files: 1, insertions: 2, deletions: 0 },
    });
    expect(d.children).toBe("running");
  });

  it("succeeds with an oversized artifact cut to a status the API server accepts, and says so", () => {
    const read = parseAgentState(
      {
        attempt: "1",
        finishedAt: at(-1),
        exitCode: "0",
        lastPR: JSON.stringify({ ...lastPR, branch: "b".repeat(5000), summary: "s".repeat(40_000) }),
      },
      1,
    );
    if (!read) throw new Error("expected the state of attempt 1");
    const d = decideTask(world({}, { ...started, phase: "Running" }, { state: read }));
    expect(d.status.phase).toBe("Succeeded");
    expect(AgentTaskStatusSchema.safeParse(d.status).success).toBe(true);
    expect(d.status.artifacts?.lastPR?.branch).toBe(`${"b".repeat(254)}…`);
    expect(d.status.artifacts?.lastPRError).toContain("branch (5000 characters, at most 255)");
    expect(d.status.message).toBe(
      `finished: pushed ${"b".repeat(254)}… at 0123456789ab; its report was cut to fit the status (see status.artifacts.lastPRError)`,
    );
  });

  it("tells a refused report of a push apart from no changes", () => {
    const refused = state({ finishedAt: at(-1), exitCode: 0, lastPRError: "last_pr.json is not JSON" });
    const d = decideTask(world({}, { ...started, phase: "Running" }, { state: refused }));
    expect(d.status.phase).toBe("Succeeded");
    expect(d.status.message).toBe(
      "finished, but the agent's report of its change was refused: last_pr.json is not JSON",
    );
    expect(d.status.artifacts).toEqual({ lastPRError: "last_pr.json is not JSON" });
  });

  it("drops the note of an earlier attempt's artifact when a clean one arrives", () => {
    const earlier = {
      ...started,
      phase: "Running" as const,
      artifacts: { lastPRError: "last_pr.json is not JSON" },
    };
    const d = decideTask(world({}, earlier, { state: state({ finishedAt: at(-1), exitCode: 0, lastPR }) }));
    expect(d.status.artifacts?.lastPRError).toBeUndefined();
    expect(d.status.message).toBe("finished: pushed agentyard/fix-bug at 0123456789ab");
  });

  it("reports the pull request the agent opened, with its number, state and page", () => {
    const opened = {
      ...lastPR,
      url: "http://127.0.0.1:3000/acme/app/pulls/7",
      forge: "gitea" as const,
      number: 7,
      state: "open" as const,
    };
    const d = decideTask(
      world(
        {},
        { ...started, phase: "Running" },
        { state: state({ finishedAt: at(-1), exitCode: 0, lastPR: opened }) },
      ),
    );
    expect(d.status.phase).toBe("Succeeded");
    expect(d.status.message).toBe(
      "finished: pushed agentyard/fix-bug at 0123456789ab; pull request #7 (open)",
    );
    expect(d.status.artifacts?.lastPR).toMatchObject({
      url: opened.url,
      forge: "gitea",
      number: 7,
      state: "open",
    });
    expect(AgentTaskStatusSchema.safeParse(d.status).success).toBe(true);
  });

  describe("a pushed branch whose pull request could not be opened", () => {
    const refused = { ...lastPR, pullRequestError: "gitea refused the token (401)" };
    const finishedRefused = { state: state({ finishedAt: at(-1), exitCode: 0, lastPR: refused }) };

    it("succeeds with the branch and the reason, by default", () => {
      const d = decideTask(world({}, { ...started, phase: "Running" }, finishedRefused));
      expect(d.status.phase).toBe("Succeeded");
      expect(d.status.message).toBe(
        "finished: pushed agentyard/fix-bug at 0123456789ab; no pull request: gitea refused the token (401)",
      );
      expect(d.status.artifacts?.lastPR).toMatchObject({
        branch: "agentyard/fix-bug",
        pullRequestError: "gitea refused the token (401)",
      });
    });

    it("fails the task, retries included, when the Org says a failed pull request is a failed task", () => {
      const fails = { ...finishedRefused, pullRequestErrorFails: true };
      const d = decideTask(world({}, { ...started, phase: "Running" }, fails));
      expect(d.status).toMatchObject({
        phase: "Failed",
        message:
          "pushed agentyard/fix-bug, but its pull request could not be opened (spec.git.pullRequests.failTaskOnError): gitea refused the token (401)",
      });
      expect(d.status.artifacts?.lastPR?.pullRequestError).toBe("gitea refused the token (401)");
      const retried = decideTask(world({ retries: 1 }, { ...started, phase: "Running" }, fails));
      expect(retried.status.phase).toBe("Starting");
      expect(retried.status.message).toContain("its pull request could not be opened");
    });

    it("does not fail a later attempt over an earlier attempt's pull request", () => {
      const earlier = {
        ...started,
        attempts: 2,
        phase: "Running" as const,
        artifacts: { lastPR: { ...toStatus(refused) } },
      };
      const clean = { state: { attempt: 2, startedAt: at(-50), finishedAt: at(-1), exitCode: 0 } };
      const d = decideTask(world({ retries: 1 }, earlier, { ...clean, pullRequestErrorFails: true }));
      expect(d.status.phase).toBe("Succeeded");
    });
  });

  it("fails with the exit code and the agent's message when no retries are left", () => {
    const d = decideTask(
      world(
        {},
        { ...started, phase: "Running" },
        { state: state({ finishedAt: at(-1), exitCode: 3, message: "tests failed" }) },
      ),
    );
    expect(d.status).toMatchObject({
      phase: "Failed",
      message: "the agent exited with code 3: tests failed",
    });
    expect(d.conditions.find((c) => c.type === "Stalled")?.status).toBe("True");
  });

  it("treats a crash-looping agent container as a failed attempt", () => {
    const pod = { ready: false, restarts: 3, terminated: { exitCode: 137, reason: "OOMKilled" } };
    const d = decideTask(world({}, started, { pod }));
    expect(d.status).toMatchObject({
      phase: "Failed",
      message: "the agent container crashed (exit 137, OOMKilled)",
    });
  });

  it("retries after a backoff while retries remain", () => {
    const failed = { state: state({ finishedAt: at(-1), exitCode: 1 }) };
    const waiting = decideTask(world({ retries: 2 }, { ...started, phase: "Running" }, failed));
    expect(waiting.status).toMatchObject({ phase: "Starting", attempts: 1 });
    expect(waiting.status.message).toContain("attempt 2 starts in 9s");
    expect(waiting.requeueAfterMs).toBe(9_000);
    const later = decideTask(
      world(
        { retries: 2 },
        { ...started, phase: "Running" },
        { state: state({ finishedAt: at(-11), exitCode: 1 }) },
      ),
    );
    expect(later.status).toMatchObject({ phase: "Starting", attempts: 2, attemptStartedAt: at(0) });
    expect(later.children).toBe("running");
    const exhausted = decideTask(
      world(
        { retries: 1 },
        { ...started, attempts: 2, phase: "Running" },
        { state: { attempt: 2, finishedAt: at(-100), exitCode: 1 } },
      ),
    );
    expect(exhausted.status).toMatchObject({
      phase: "Failed",
      message: "the agent exited with code 1 (after 2 attempts)",
    });
  });

  it("backs off exponentially up to five minutes", () => {
    expect([1, 2, 3, 10].map(retryBackoffMs)).toEqual([10_000, 20_000, 40_000, 300_000]);
  });

  it("times out an attempt that runs longer than spec.timeout and stops the agent", () => {
    const d = decideTask(world({ timeout: "30s" }, { ...started, phase: "Running" }, { state: state({}) }));
    expect(d.status).toMatchObject({
      phase: "TimedOut",
      finishedAt: at(0),
      message: "attempt 1 ran longer than spec.timeout (30s)",
    });
    expect(d.children).toBe("stopped");
    const notYet = decideTask(
      world({ timeout: "2m" }, { ...started, phase: "Running" }, { state: state({}) }),
    );
    expect(notYet.requeueAfterMs).toBe(60_000);
  });

  it("cancels a task and stops its agent", () => {
    const d = decideTask(world({ cancel: true }, { ...started, phase: "Running" }));
    expect(d.status).toMatchObject({ phase: "Cancelled", finishedAt: at(0) });
    expect(d.children).toBe("stopped");
    expect(d.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      "Ready=False",
      "Reconciling=False",
      "Stalled=False",
    ]);
  });

  it("cancels a queued task without creating anything", () => {
    const d = decideTask(world({ cancel: true }, { phase: "Queued" }));
    expect(d.status.phase).toBe("Cancelled");
    expect(d.children).toBe("none");
  });

  it("keeps a final phase final", () => {
    const done: AgentTaskStatus = { ...started, phase: "Failed", finishedAt: at(-10), message: "boom" };
    const d = decideTask(
      world({ cancel: true, retries: 5 }, done, { state: state({ finishedAt: at(-10), exitCode: 0 }) }),
    );
    expect(d.status).toMatchObject({ phase: "Failed", message: "boom" });
  });

  it("deletes a finished task after ttlSecondsAfterFinished, and waits until then", () => {
    const done: AgentTaskStatus = { ...started, phase: "Succeeded", finishedAt: at(-10) };
    expect(decideTask(world({ ttlSecondsAfterFinished: 5 }, done)).deleteTask).toBe(true);
    const pending = decideTask(world({ ttlSecondsAfterFinished: 60 }, done));
    expect(pending.deleteTask).toBeUndefined();
    expect(pending.requeueAfterMs).toBe(50_000);
  });

  it("stops an idle editor after the Org's idle timeout", () => {
    const done: AgentTaskStatus = { ...started, phase: "Succeeded", finishedAt: at(-600) };
    const idle = decideTask(
      world({}, done, { editorIdleTimeoutMs: 300_000, state: state({ editorActivityAt: at(-400) }) }),
    );
    expect(idle.children).toBe("stopped");
    const active = decideTask(
      world({}, done, { editorIdleTimeoutMs: 300_000, state: state({ editorActivityAt: at(-100) }) }),
    );
    expect(active.children).toBe("running");
    expect(active.requeueAfterMs).toBe(200_000);
  });
});

describe("suspend and resume", () => {
  const suspendedCondition = (d: ReturnType<typeof decideTask>) =>
    d.conditions.find((c) => c.type === "Suspended");
  const running: AgentTaskStatus = { ...started, phase: "Running" };

  it("holds a running task with no agent, keeps its attempt and says Suspended", () => {
    const d = decideTask(world({ suspend: true }, running, { state: state({}) }));
    expect(d.children).toBe("stopped");
    expect(d.status).toMatchObject({ phase: "Suspended", attempts: 1, suspendedAt: at(0) });
    expect(suspendedCondition(d)).toMatchObject({ status: "True", reason: "Suspended" });
    expect(d.conditions.find((c) => c.type === "Reconciling")?.status).toBe("False");
    expect(d.requeueAfterMs).toBeUndefined();
  });

  it("does not time a suspended attempt out, and moves its start by the time it was held", () => {
    const held: AgentTaskStatus = {
      ...running,
      phase: "Suspended",
      attemptStartedAt: at(-7200),
      suspendedAt: at(-3600),
    };
    expect(decideTask(world({ suspend: true }, held)).status.phase).toBe("Suspended");
    const resumed = decideTask(world({ timeout: "2h" }, held));
    expect(resumed.status).toMatchObject({ phase: "Starting", attemptStartedAt: at(-3600), attempts: 1 });
    expect(resumed.status.suspendedAt).toBeUndefined();
    expect(resumed.children).toBe("running");
  });

  it("waits for the resumed pod, not the start the agent reported before the suspend", () => {
    const held: AgentTaskStatus = { ...running, phase: "Suspended", suspendedAt: at(-30) };
    const task = {
      conditions: [
        { type: "Suspended", status: "True", reason: "Suspended", message: "", lastTransitionTime: at(-30) },
      ],
    };
    const first = decideTask(world({}, { ...held, ...task } as AgentTaskStatus, { state: state({}) }));
    expect(first.status.phase).toBe("Starting");
    expect(suspendedCondition(first)).toMatchObject({ status: "False" });
    const resumedAt = {
      conditions: [
        {
          type: "Suspended",
          status: "False",
          reason: "NotSuspended",
          message: "",
          lastTransitionTime: at(-10),
        },
      ],
    };
    const again = { ...started, ...resumedAt } as AgentTaskStatus;
    expect(decideTask(world({}, again, { state: state({ startedAt: at(-50) }) })).status.phase).toBe(
      "Starting",
    );
    expect(decideTask(world({}, again, { state: state({ startedAt: at(-5) }) })).status.phase).toBe(
      "Running",
    );
  });

  it("holds a task suspended before it started without children, and queues it once resumed", () => {
    const d = decideTask(world({ suspend: true }, undefined));
    expect(d.children).toBe("none");
    expect(d.status.phase).toBe("Suspended");
    const resumed = decideTask(world({}, d.status, { admit: () => ({ admitted: false, message: "full" }) }));
    expect(resumed.status.phase).toBe("Queued");
  });

  it("stops a finished task's editor on spec.suspend, keeping its phase", () => {
    const done: AgentTaskStatus = { ...started, phase: "Succeeded", finishedAt: at(-60) };
    const d = decideTask(world({ suspend: true }, done));
    expect(d.children).toBe("stopped");
    expect(d.status).toMatchObject({ phase: "Succeeded", suspendedAt: at(0) });
    expect(suspendedCondition(d)).toMatchObject({ status: "True", reason: "Suspended" });
  });

  it("suspends a finished task whose editor is idle, and brings it back when asked to resume", () => {
    const done: AgentTaskStatus = { ...started, phase: "Succeeded", finishedAt: at(-600) };
    const idle = { editorIdleTimeoutMs: 300_000, state: state({ editorActivityAt: at(-400) }) };
    const d = decideTask(world({}, done, idle));
    expect(d.children).toBe("stopped");
    expect(suspendedCondition(d)).toMatchObject({ status: "True", reason: "EditorIdle" });
    const resumed = decideTask(world({}, d.status, { ...idle, resumedAt: new Date(NOW.getTime() - 1000) }));
    expect(resumed.children).toBe("running");
    expect(resumed.status.suspendedAt).toBeUndefined();
    expect(resumed.requeueAfterMs).toBe(299_000);
  });

  it("lets spec.cancel end a suspended task", () => {
    const held: AgentTaskStatus = { ...running, phase: "Suspended", suspendedAt: at(-60) };
    const d = decideTask(world({ suspend: true, cancel: true }, held));
    expect(d.status.phase).toBe("Cancelled");
    expect(d.status.suspendedAt).toBeUndefined();
  });
});

describe("a report written when the agent's pod was deleted", () => {
  const stopped = state({ finishedAt: at(-5), exitCode: 143, message: "stopped: SIGTERM", stopped: true });

  it("is no outcome: the attempt waits for the pod that replaces it, spending no retry", () => {
    const d = decideTask(world({ retries: 2 }, { ...started, phase: "Running" }, { state: stopped }));
    expect(d.status).toMatchObject({ phase: "Starting", attempts: 1 });
    expect(d.children).toBe("running");
  });

  it("is no outcome for a resumed task either", () => {
    const held: AgentTaskStatus = { ...started, phase: "Suspended", suspendedAt: at(-30) };
    const d = decideTask(world({}, held, { state: stopped }));
    expect(d.status.phase).toBe("Starting");
  });
});
