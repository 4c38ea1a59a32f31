import { describe, expect, it } from "vitest";
import type { AgentTask } from "../../schema/agenttask.ts";
import { newLines } from "./commands.ts";
import { changedLines, EXIT, elapsed, frame, outcome, readableLogLine } from "./view.ts";

const CREATED = "2026-12-01T10:00:00Z";
const at = (seconds: number) => Date.parse(CREATED) + seconds * 1000;

function task(status: AgentTask["status"]): AgentTask {
  return {
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "AgentTask",
    metadata: { name: "greet", namespace: "org-demo", creationTimestamp: CREATED },
    spec: { org: "demo", prompt: "Greet", timeout: "1h", retries: 0, cancel: false },
    ...(status ? { status } : {}),
  } as AgentTask;
}

const running = task({
  phase: "Running",
  message: "the agent is running attempt 1",
  conditions: [
    {
      type: "Ready",
      status: "True",
      reason: "Running",
      message: "the agent is running attempt 1",
      lastTransitionTime: CREATED,
    },
  ],
});

describe("following a task", () => {
  it("tells a pipe each change once: the phase with its message, then conditions that moved", () => {
    expect(changedLines(undefined, task(undefined), at(0))).toEqual(["[0s] phase Pending"]);
    expect(changedLines(task(undefined), running, at(4))).toEqual([
      "[4s] phase Running — the agent is running attempt 1",
      "[4s] Ready=True Running",
    ]);
    expect(changedLines(running, running, at(9))).toEqual([]);
  });

  it("draws a terminal block with the elapsed time, conditions and readable log lines", () => {
    const drawn = frame(running, at(75), ['{"level":30,"msg":"cloning"}', "plain output"]);
    expect(drawn.split("\n")).toEqual([
      "org-demo/greet  Running — the agent is running attempt 1  1m15s",
      "  Ready=True Running",
      "  log:",
      "  │ cloning",
      "  │ plain output",
    ]);
  });

  it("ends with exit code 0 only for Succeeded, and names the branch, the PR and the editor", () => {
    const succeeded = task({
      phase: "Succeeded",
      editorURL: "http://greet.org-demo:8443/",
      artifacts: {
        lastPR: {
          branch: "agentyard/greet",
          commit: "0123456789abcdef0123",
          base: "main",
          title: "Greet",
          summary: "",
          diffstat: { files: 1, insertions: 3, deletions: 0 },
          url: "https://forge.example/pr/1",
        },
      },
    });
    expect(outcome(succeeded)).toEqual({
      code: EXIT.succeeded,
      lines: [
        "org-demo/greet Succeeded",
        "  pull request: https://forge.example/pr/1",
        "  branch: agentyard/greet at 0123456789ab (1 files, +3 -0)",
        "  editor: http://greet.org-demo:8443/",
      ],
    });
    for (const phase of ["Failed", "TimedOut", "Cancelled"] as const) {
      expect(outcome(task({ phase })).code).toBe(EXIT.taskDidNotSucceed);
    }
    expect(outcome(running).code).toBe(EXIT.couldNotFollow);
  });

  it("prints only the new end of a growing log", () => {
    expect(newLines(["a", "b", "c"], ["b", "c", "d", "e"])).toEqual(["d", "e"]);
    expect(newLines(["a"], ["a"])).toEqual([]);
    expect(newLines(["x"], ["a", "b"])).toEqual(["a", "b"]);
  });

  it("reads the agent's JSON records as their messages", () => {
    expect(readableLogLine('{"msg":"finished","message":"nothing was pushed"}')).toBe(
      "finished: nothing was pushed",
    );
    expect(readableLogLine("{not json")).toBe("{not json");
    expect(elapsed(3_700_000)).toBe("1h01m");
  });
});
