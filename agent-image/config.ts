import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { STATE_DIR, WORKSPACE_DIR } from "../schema/contract/index.ts";
import type { AgentOptions } from "./agent.ts";
import type { StateTarget } from "./report.ts";

/** The environment is not what the operator's Deployment sets; the message names the variable. */
export class ConfigError extends Error {}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`${name} must be set`);
  return value;
}

function parseCommand(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("AGENTYARD_COMMAND must be a JSON array of strings");
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === "string")) {
    throw new ConfigError("AGENTYARD_COMMAND must be a JSON array of strings");
  }
  return parsed;
}

/** The API server as seen from a pod; undefined outside a cluster, where reports are only logged. */
async function stateTarget(env: NodeJS.ProcessEnv, namespace: string, name: string) {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return undefined;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const dir = env.AGENTYARD_SERVICEACCOUNT_DIR || SERVICE_ACCOUNT_DIR;
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const ca = await readFile(join(dir, "ca.crt"), "utf8").catch(() => {
    throw new ConfigError(`cannot read the API server's CA from ${join(dir, "ca.crt")}`);
  });
  const target: StateTarget = { server, ca, tokenFile: join(dir, "token"), namespace, name };
  return target;
}

/** The task as the operator's Deployment describes it in the agent container's environment. */
export async function optionsFromEnv(env: NodeJS.ProcessEnv): Promise<AgentOptions> {
  const attemptText = required(env, "AGENTYARD_ATTEMPT");
  const attempt = Number(attemptText);
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ConfigError(`AGENTYARD_ATTEMPT must be a positive integer, not ${JSON.stringify(attemptText)}`);
  }
  const namespace = required(env, "AGENTYARD_NAMESPACE");
  const options: AgentOptions = {
    task: required(env, "AGENTYARD_TASK"),
    org: required(env, "AGENTYARD_ORG"),
    namespace,
    attempt,
    prompt: env.AGENTYARD_PROMPT ?? "",
    stateDir: env.AGENTYARD_STATE_DIR || STATE_DIR,
    workspace: env.AGENTYARD_WORKSPACE || WORKSPACE_DIR,
    env,
  };
  const command = parseCommand(env.AGENTYARD_COMMAND);
  if (command) options.command = command;
  if (env.AGENTYARD_REPO_URL) {
    options.repo = { url: env.AGENTYARD_REPO_URL, branch: env.AGENTYARD_REPO_BRANCH || "main" };
  }
  if (env.AGENTYARD_GIT_CREDENTIALS) options.gitCredentialsDir = env.AGENTYARD_GIT_CREDENTIALS;
  if (env.AGENTYARD_EDITOR_URL) options.editorUrl = env.AGENTYARD_EDITOR_URL;
  const state = await stateTarget(env, namespace, required(env, "AGENTYARD_STATE_CONFIGMAP"));
  if (state) options.state = state;
  return options;
}
