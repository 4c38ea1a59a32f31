import { describe, expect, it } from "vitest";
import {
  type AgentTaskInput,
  AgentTaskSchema,
  AgentTaskStatusSchema,
  MAX_PROMPT_LENGTH,
} from "./agenttask.ts";
import { formatIssues } from "./issues.ts";

const minimal: AgentTaskInput = {
  apiVersion: "agentyard.dev/v1alpha1",
  kind: "AgentTask",
  metadata: { name: "fix-login", namespace: "org-acme" },
  spec: { org: "acme", prompt: "Fix the login redirect loop." },
};

function problems(input: unknown): string[] {
  const result = AgentTaskSchema.safeParse(input);
  return result.success ? [] : formatIssues(result.error);
}

const withSpec = (spec: Record<string, unknown>) => ({ ...minimal, spec: { ...minimal.spec, ...spec } });

describe("AgentTaskSchema", () => {
  it("fills the defaults of a minimal task", () => {
    expect(AgentTaskSchema.parse(minimal).spec).toEqual({
      org: "acme",
      prompt: "Fix the login redirect loop.",
      timeout: "1h",
      retries: 0,
      cancel: false,
      suspend: false,
    });
  });

  it("accepts a name left to generateName", () => {
    expect(problems({ ...minimal, metadata: { generateName: "fix-", namespace: "org-acme" } })).toEqual([]);
  });

  it("says what a missing org and a blank prompt need", () => {
    expect(problems({ ...minimal, spec: { prompt: " \n" } })).toEqual([
      "spec.org: Required value",
      "spec.prompt: prompt must not be empty: describe the work for the agent",
    ]);
  });

  it("caps the prompt at 64 KiB", () => {
    expect(problems(withSpec({ prompt: "x".repeat(MAX_PROMPT_LENGTH + 1) }))).toEqual([
      `spec.prompt: must be at most ${MAX_PROMPT_LENGTH} characters`,
    ]);
  });

  it("names the field of a bad timeout and retries", () => {
    expect(problems(withSpec({ timeout: "2 hours", retries: 11 }))).toEqual([
      "spec.timeout: must be a Go duration between 1s and 168h, such as 30m or 1h30m",
      "spec.retries: must be between 0 and 10",
    ]);
  });

  it("takes a repo override of the branch alone, but not an empty one", () => {
    expect(problems(withSpec({ repo: { branch: "release/2.x" } }))).toEqual([]);
    expect(problems(withSpec({ repo: {} }))).toEqual([
      "spec.repo: repo must set url, branch or both; omit repo to use the Org's repository",
    ]);
  });

  it("refuses a request above its limit in agent overrides", () => {
    const agent = { resources: { requests: { cpu: 2 }, limits: { cpu: "1500m" } } };
    expect(problems(withSpec({ agent }))).toEqual([
      "spec.agent.resources.requests.cpu: requests.cpu must not exceed limits.cpu",
    ]);
  });

  it("refuses duplicate env names at the duplicate", () => {
    const env = [{ name: "A" }, { name: "B" }, { name: "A", value: "2" }];
    expect(problems(withSpec({ agent: { env } }))).toEqual([
      'spec.agent.env[2]: duplicate name "A": each name may appear once',
    ]);
  });

  it("refuses names that cannot name a Service", () => {
    expect(problems({ ...minimal, metadata: { name: "1-fix" } })).toEqual([
      "metadata.name: AgentTask names must be DNS-1035 labels: lowercase letters, digits and '-', starting with a letter, at most 63; they name the task's Service",
    ]);
  });
});

describe("AgentTaskStatusSchema", () => {
  it("accepts what the operator reports", () => {
    const status = {
      phase: "Succeeded",
      observedGeneration: 2,
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Succeeded",
          message: "",
          lastTransitionTime: "2026-01-01T00:00:00Z",
          observedGeneration: 2,
        },
      ],
      attempts: 1,
      startedAt: "2026-01-01T00:00:00Z",
      finishedAt: "2026-01-01T00:10:00Z",
      artifacts: {
        lastPR: {
          branch: "agentyard/fix-login",
          commit: "0123456789abcdef0123456789abcdef01234567",
          base: "main",
          title: "Fix the login redirect loop",
          summary: "Stopped the redirect.",
          diffstat: { files: 2, insertions: 10, deletions: 3 },
        },
      },
    };
    expect(AgentTaskStatusSchema.parse(status)).toEqual(status);
  });

  it("refuses a phase outside the lifecycle", () => {
    expect(AgentTaskStatusSchema.safeParse({ phase: "Exploded" }).success).toBe(false);
  });
});
