import { describe, expect, it } from "vitest";
import { AGENT_ENV, type AgentEnv, agentEnvVars, isOperatorEnv, readAgentEnv } from "./agent-env.ts";

const values: AgentEnv = {
  task: "fix-bug",
  org: "acme",
  namespace: "org-acme",
  attempt: "1",
  prompt: "Fix the bug",
  stateConfigMap: "fix-bug-state",
  stateDir: "/state",
  workspace: "/workspace",
  repoUrl: "https://git.example/acme/app.git",
  repoBranch: "main",
  command: undefined,
  promptArgument: undefined,
  homeFiles: undefined,
  gitCredentials: undefined,
  gitHandoff: undefined,
  gitHome: undefined,
  pullRequest: undefined,
  editorUrl: "http://127.0.0.1:8443",
};

describe("the agent's environment", () => {
  it("is written in the table's order, leaving out what the operator does not set", () => {
    expect(agentEnvVars(values).map((e) => e.name)).toEqual([
      "AGENTYARD_TASK",
      "AGENTYARD_ORG",
      "AGENTYARD_NAMESPACE",
      "AGENTYARD_ATTEMPT",
      "AGENTYARD_PROMPT",
      "AGENTYARD_STATE_CONFIGMAP",
      "AGENTYARD_STATE_DIR",
      "AGENTYARD_WORKSPACE",
      "AGENTYARD_REPO_URL",
      "AGENTYARD_REPO_BRANCH",
      "AGENTYARD_EDITOR_URL",
    ]);
  });

  it("reads back as it was written", () => {
    const env = Object.fromEntries(agentEnvVars(values).map((e) => [e.name, e.value]));
    expect(readAgentEnv({ ...env, PATH: "/bin" })).toEqual(values);
  });

  it("gives every variable one name of its own", () => {
    const names = Object.values(AGENT_ENV).map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^AGENTYARD_[A-Z_]+$/);
  });

  it("owns every name of the table, and every other AGENTYARD_ name, against an Org's or a task's env", () => {
    for (const { name } of Object.values(AGENT_ENV)) expect(isOperatorEnv(name)).toBe(true);
    expect(isOperatorEnv("AGENTYARD_SERVICEACCOUNT_DIR")).toBe(true);
    expect(isOperatorEnv("GIT_AUTHOR_NAME")).toBe(false);
  });
});
