import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_ENV, type AgentEnvKey } from "../schema/contract/index.ts";
import type { AgentOptions } from "./agent.ts";
import { gitSideOptionsFromEnv, optionsFromEnv } from "./config.ts";

let sa: string;
beforeAll(async () => {
  sa = await mkdtemp(join(tmpdir(), "agentyard-sa-"));
  await writeFile(join(sa, "ca.crt"), "PEM");
});
afterAll(() => rm(sa, { recursive: true, force: true }));

/** The environment the operator's Deployment gives the agent container (operator/render/task.ts). */
const podEnv = (): NodeJS.ProcessEnv => ({
  AGENTYARD_TASK: "fix-bug",
  AGENTYARD_ORG: "acme",
  AGENTYARD_NAMESPACE: "org-acme",
  AGENTYARD_ATTEMPT: "2",
  AGENTYARD_PROMPT: "Fix the bug",
  AGENTYARD_STATE_CONFIGMAP: "fix-bug-state",
  AGENTYARD_STATE_DIR: "/state",
  AGENTYARD_WORKSPACE: "/workspace",
  AGENTYARD_REPO_URL: "https://github.com/acme/app.git",
  AGENTYARD_REPO_BRANCH: "dev",
  AGENTYARD_COMMAND: JSON.stringify(["claude", "-p"]),
  AGENTYARD_GIT_CREDENTIALS: "/var/run/agentyard/git",
  AGENTYARD_EDITOR_URL: "http://127.0.0.1:8443",
  KUBERNETES_SERVICE_HOST: "10.0.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  AGENTYARD_SERVICEACCOUNT_DIR: sa,
});

describe("optionsFromEnv", () => {
  it("reads the task as the operator's Deployment sets it", async () => {
    const env = podEnv();
    expect(await optionsFromEnv(env)).toEqual({
      task: "fix-bug",
      org: "acme",
      namespace: "org-acme",
      attempt: 2,
      prompt: "Fix the bug",
      stateDir: "/state",
      workspace: "/workspace",
      env,
      repo: { url: "https://github.com/acme/app.git", branch: "dev" },
      command: ["claude", "-p"],
      gitCredentialsDir: "/var/run/agentyard/git",
      editorUrl: "http://127.0.0.1:8443",
      state: {
        server: "https://10.0.0.1:443",
        ca: "PEM",
        tokenFile: join(sa, "token"),
        namespace: "org-acme",
        name: "fix-bug-state",
      },
    });
  });

  it("leaves out what is not set, and brackets an IPv6 API server", async () => {
    const env = podEnv();
    for (const name of [
      "AGENTYARD_REPO_URL",
      "AGENTYARD_COMMAND",
      "AGENTYARD_GIT_CREDENTIALS",
      "AGENTYARD_EDITOR_URL",
    ]) {
      delete env[name];
    }
    env.KUBERNETES_SERVICE_HOST = "fd00::1";
    const options = await optionsFromEnv(env);
    expect(options.repo).toBeUndefined();
    expect(options.command).toBeUndefined();
    expect(options.gitCredentialsDir).toBeUndefined();
    expect(options.editorUrl).toBeUndefined();
    expect(options.state?.server).toBe("https://[fd00::1]:443");
    delete env.KUBERNETES_SERVICE_HOST;
    expect((await optionsFromEnv(env)).state).toBeUndefined();
  });

  it("reads every variable of the contract, so the operator sets none in vain", async () => {
    const another: Record<AgentEnvKey, string> = {
      task: "other",
      org: "other",
      namespace: "other",
      attempt: "3",
      prompt: "other",
      stateConfigMap: "other",
      stateDir: "/other",
      workspace: "/other",
      repoUrl: "https://git.example/other.git",
      repoBranch: "other",
      command: JSON.stringify(["other"]),
      promptArgument: "--other={prompt}",
      homeFiles: JSON.stringify({ ".other/settings.json": "{}" }),
      gitCredentials: "/other",
      gitHandoff: "/other",
      gitHome: "/other",
      pullRequest: JSON.stringify({ draft: true, labels: ["other"], reviewers: [] }),
      editorUrl: "http://127.0.0.1:1",
    };
    // The agent container's runtime and the git container's read the same table, each its part.
    const read = async (env: NodeJS.ProcessEnv) => {
      const { env: _, ...options }: AgentOptions = await optionsFromEnv(env);
      return { agent: options, git: gitSideOptionsFromEnv(env) };
    };
    const base = await read(podEnv());
    for (const key of Object.keys(AGENT_ENV) as AgentEnvKey[]) {
      const changed = await read({ ...podEnv(), [AGENT_ENV[key].name]: another[key] });
      expect(changed, AGENT_ENV[key].name).not.toEqual(base);
    }
  });

  it("names the variable that is wrong", async () => {
    const without = podEnv();
    delete without.AGENTYARD_TASK;
    await expect(optionsFromEnv(without)).rejects.toThrow("AGENTYARD_TASK must be set");
    await expect(optionsFromEnv({ ...podEnv(), AGENTYARD_ATTEMPT: "0" })).rejects.toThrow(
      'AGENTYARD_ATTEMPT must be a positive integer, not "0"',
    );
    await expect(optionsFromEnv({ ...podEnv(), AGENTYARD_COMMAND: '"claude"' })).rejects.toThrow(
      "AGENTYARD_COMMAND must be a JSON array of strings",
    );
    await expect(
      optionsFromEnv({ ...podEnv(), AGENTYARD_SERVICEACCOUNT_DIR: "/nonexistent" }),
    ).rejects.toThrow("cannot read the API server's CA from /nonexistent/ca.crt");
  });
});
