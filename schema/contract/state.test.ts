import { describe, expect, it } from "vitest";
import { AgentTaskStatusSchema } from "../agenttask.ts";
import { toLastPR } from "../artifact.ts";
import { lastPRArtifact } from "../fixtures.test-support.ts";
import { boundArtifact, formatAgentState, MAX_LAST_PR_BYTES, parseAgentState } from "./state.ts";

const artifact = lastPRArtifact;

const stateWith = (lastPR: unknown) =>
  parseAgentState({ attempt: "1", exitCode: "0", lastPR: JSON.stringify(lastPR) }, 1);

/** Whether the API server would take the status built from this artifact: the CRD has the same bounds. */
const statusAccepts = (lastPR: ReturnType<typeof toLastPR>, lastPRError?: string) =>
  AgentTaskStatusSchema.safeParse({ artifacts: lastPRError ? { lastPR, lastPRError } : { lastPR } }).success;

describe("parseAgentState's last_pr.json", () => {
  it("keeps an artifact that fits, with no note", () => {
    const state = stateWith(artifact);
    expect(state?.lastPR).toEqual(artifact);
    expect(state?.lastPRError).toBeUndefined();
  });

  it("cuts every text the status would refuse, marks it and says which", () => {
    const state = stateWith({
      ...artifact,
      branch: `agentyard/${"b".repeat(5000)}`,
      baseBranch: "m".repeat(300),
      title: "t".repeat(5000),
      summary: "s".repeat(40_000),
      url: `https://github.com/${"u".repeat(5000)}`,
    });
    const lastPR = state?.lastPR;
    if (!lastPR || !state.lastPRError) throw new Error("expected a cut artifact and a note");
    expect(lastPR.branch).toHaveLength(255);
    expect(lastPR.baseBranch).toHaveLength(255);
    expect(lastPR.title).toHaveLength(1024);
    expect(lastPR.summary).toHaveLength(16_384);
    expect(lastPR.url).toHaveLength(2048);
    for (const text of [lastPR.branch, lastPR.baseBranch, lastPR.title, lastPR.summary, lastPR.url]) {
      expect(text?.endsWith("…")).toBe(true);
    }
    expect(state.lastPRError).toBe(
      "last_pr.json is longer than the status allows; cut, marked with …: branch (5010 characters, at most 255), " +
        "baseBranch (300 characters, at most 255), title (5000 characters, at most 1024), " +
        "summary (40000 characters, at most 16384), url (5019 characters, at most 2048)",
    );
    expect(statusAccepts(toLastPR(lastPR), state.lastPRError)).toBe(true);
  });

  it("refuses an artifact too large to read, saying the agent pushed", () => {
    const state = stateWith({ ...artifact, summary: "s".repeat(MAX_LAST_PR_BYTES) });
    expect(state?.lastPR).toBeUndefined();
    expect(state?.lastPRError).toBe("the agent pushed, but its last_pr.json is larger than 65536 bytes");
  });

  it("refuses an artifact it cannot use, within the bound of the status", () => {
    const state = stateWith({ ...artifact, diffstat: { files: -1, insertions: 0, deletions: 0 } });
    expect(state?.lastPR).toBeUndefined();
    expect(state?.lastPRError).toMatch(/^last_pr.json is invalid: diffstat.files: /);
  });

  it("cuts the agent's message with a marker", () => {
    const state = parseAgentState({ attempt: "1", message: "m".repeat(5000) }, 1);
    expect(state?.message).toHaveLength(1024);
    expect(state?.message?.endsWith("…")).toBe(true);
  });
});

describe("boundArtifact", () => {
  it("makes what the agent reports of a long prompt fit, so the operator reads it uncut", () => {
    // Control characters grow sixfold in JSON: a summary within the status bound may still be too large.
    const reported = boundArtifact({
      ...artifact,
      summary: "\u0001".repeat(65_536),
      title: "t".repeat(2000),
    });
    expect(Buffer.byteLength(JSON.stringify(reported))).toBeLessThanOrEqual(MAX_LAST_PR_BYTES);
    const state = parseAgentState(formatAgentState({ attempt: 1, lastPR: reported }), 1);
    expect(state?.lastPR?.summary.endsWith("…")).toBe(true);
    expect(state?.lastPR?.title).toHaveLength(1024);
    expect(state?.lastPRError).toBeUndefined();
  });
});

describe("a stopped attempt's report", () => {
  it("round-trips its mark, and reads only the word true as one", () => {
    const data = formatAgentState({
      attempt: 2,
      finishedAt: "2026-12-04T10:00:00Z",
      exitCode: 143,
      stopped: true,
    });
    expect(data.stopped).toBe("true");
    expect(parseAgentState(data, 2)?.stopped).toBe(true);
    expect(parseAgentState({ ...data, stopped: "yes" }, 2)?.stopped).toBeUndefined();
    expect(formatAgentState({ attempt: 1, exitCode: 0 }).stopped).toBeUndefined();
  });
});
