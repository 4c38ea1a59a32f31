import { describe, expect, it } from "vitest";
import { MAX_SUMMARY_LENGTH } from "./agenttask.ts";
import { LastPRArtifactSchema, toLastPR } from "./artifact.ts";
import { lastPRArtifact } from "./fixtures.test-support.ts";
import { formatIssues } from "./issues.ts";

/** With a zone offset and fractions in its timestamp: an agent may write any RFC 3339 form. */
const artifact = { ...lastPRArtifact, createdAt: "2026-01-01T00:10:00.123+01:00" };

describe("LastPRArtifactSchema", () => {
  it("reads what the agent writes, dropping keys a newer agent adds", () => {
    expect(LastPRArtifactSchema.parse({ ...artifact, model: "new" })).toEqual(artifact);
  });

  it("says which field of a broken artifact is wrong", () => {
    const result = LastPRArtifactSchema.safeParse({ ...artifact, commit: "HEAD", branch: "" });
    expect(result.success || formatIssues(result.error)).toEqual([
      "branch: must be the branch the agent pushed",
      "commit: must be a hexadecimal commit id",
    ]);
  });
});

describe("toLastPR", () => {
  it("maps the artifact to the status shape", () => {
    expect(toLastPR(LastPRArtifactSchema.parse(artifact))).toEqual({
      branch: "agentyard/fix-login",
      commit: artifact.commit,
      base: "main",
      title: "Fix the login redirect loop",
      summary: "Stopped the redirect.",
      diffstat: { files: 2, insertions: 10, deletions: 3 },
      url: "https://github.com/acme/app/pull/7",
    });
  });

  it("leaves url out when no pull request was opened", () => {
    expect(toLastPR({ ...artifact, url: "" })).not.toHaveProperty("url");
  });

  it("cuts a summary the status cannot hold, and marks it", () => {
    const { summary } = toLastPR({ ...artifact, summary: "x".repeat(MAX_SUMMARY_LENGTH * 2) });
    expect(summary).toHaveLength(MAX_SUMMARY_LENGTH);
    expect(summary.endsWith("…")).toBe(true);
  });
});
