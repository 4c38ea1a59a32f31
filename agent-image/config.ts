import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import {
  AGENT_ENV,
  type AgentEnvKey,
  MOUNT_PATH,
  PROMPT_PLACEHOLDER,
  PullRequestConfigSchema,
  type ReadAgentEnv,
  readAgentEnv,
} from "../schema/contract/index.ts";
import { type AgentOptions, taskBranch } from "./agent.ts";
import type { GitSideOptions } from "./git-side.ts";
import type { ConfigMapTarget } from "./kube-api.ts";

/** The environment is not what the operator's Deployment sets; the message names the variable. */
export class ConfigError extends Error {}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function required(env: ReadAgentEnv, key: AgentEnvKey): string {
  const value = env[key];
  if (!value) throw new ConfigError(`${AGENT_ENV[key].name} must be set`);
  return value;
}

function parseCommand(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${AGENT_ENV.command.name} must be a JSON array of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === "string")) {
    throw new ConfigError(`${AGENT_ENV.command.name} must be a JSON array of strings`);
  }
  return parsed;
}

/** A ConfigMap on the API server as seen from a pod; undefined outside a cluster. */
export async function serviceAccountTarget(
  env: NodeJS.ProcessEnv,
  namespace: string,
  name: string,
): Promise<ConfigMapTarget | undefined> {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host) return undefined;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const dir = env.AGENTYARD_SERVICEACCOUNT_DIR || SERVICE_ACCOUNT_DIR;
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const ca = await readFile(join(dir, "ca.crt"), "utf8").catch(() => {
    throw new ConfigError(`cannot read the API server's CA from ${join(dir, "ca.crt")}`);
  });
  return { server, ca, tokenFile: join(dir, "token"), namespace, name };
}

function attemptOf(set: ReadAgentEnv): number {
  const attemptText = required(set, "attempt");
  const attempt = Number(attemptText);
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new ConfigError(
      `${AGENT_ENV.attempt.name} must be a positive integer, not ${JSON.stringify(attemptText)}`,
    );
  }
  return attempt;
}

/** What the git container is told by its environment; the rest of GitSideOptions is the process's. */
export type GitSideConfig = Omit<GitSideOptions, "signal" | "log">;

/** The git container as the operator's Deployment describes it (GIT_CONTAINER_ENV_KEYS). */
export function gitSideOptionsFromEnv(env: NodeJS.ProcessEnv): GitSideConfig {
  const set = readAgentEnv(env);
  const task = required(set, "task");
  const options: GitSideConfig = {
    task,
    attempt: attemptOf(set),
    workspace: set.workspace || MOUNT_PATH.workspace,
    repo: { url: required(set, "repoUrl"), branch: set.repoBranch || "main" },
    pushBranch: taskBranch(task),
    handoffDir: set.gitHandoff || MOUNT_PATH.gitHandoff,
    home: set.gitHome || MOUNT_PATH.gitHome,
  };
  if (set.gitCredentials) options.gitCredentialsDir = set.gitCredentials;
  if (set.pullRequest)
    options.pullRequest = parseJsonVariable("pullRequest", set.pullRequest, PullRequestConfigSchema);
  return options;
}

/** Relative paths below $HOME, each folder name a plain one: nothing a file could be written outside of. */
const HomeFilesSchema = z.record(
  z
    .string()
    .refine(
      (path) => path.split("/").every((part) => part !== "" && part !== "." && part !== ".."),
      "must be a relative path without '.' or '..' parts",
    ),
  z.string(),
);

/** A JSON variable of the operator's, read with `schema`; the error names the variable and the field. */
function parseJsonVariable<T>(key: AgentEnvKey, raw: string, schema: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${AGENT_ENV[key].name} must be JSON`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      `${AGENT_ENV[key].name} is not the operator's: ${issue?.path.join(".") || "value"}: ${issue?.message}`,
    );
  }
  return result.data;
}

/** The task as the operator's Deployment describes it in the agent container's environment. */
export async function optionsFromEnv(env: NodeJS.ProcessEnv): Promise<AgentOptions> {
  const set = readAgentEnv(env);
  const attempt = attemptOf(set);
  const namespace = required(set, "namespace");
  const options: AgentOptions = {
    task: required(set, "task"),
    org: required(set, "org"),
    namespace,
    attempt,
    prompt: set.prompt ?? "",
    stateDir: set.stateDir || MOUNT_PATH.state,
    workspace: set.workspace || MOUNT_PATH.workspace,
    env,
  };
  const command = parseCommand(set.command);
  if (command) options.command = command;
  if (set.promptArgument !== undefined && set.promptArgument !== "") {
    if (!set.promptArgument.includes(PROMPT_PLACEHOLDER)) {
      throw new ConfigError(
        `${AGENT_ENV.promptArgument.name} must contain ${PROMPT_PLACEHOLDER}, or be unset`,
      );
    }
    options.promptArgument = set.promptArgument;
  }
  if (set.homeFiles) options.homeFiles = parseJsonVariable("homeFiles", set.homeFiles, HomeFilesSchema);
  if (set.repoUrl) options.repo = { url: set.repoUrl, branch: set.repoBranch || "main" };
  if (set.gitCredentials) options.gitCredentialsDir = set.gitCredentials;
  if (set.gitHandoff) options.gitHandoffDir = set.gitHandoff;
  if (set.editorUrl) options.editorUrl = set.editorUrl;
  // Outside a cluster reports are only logged.
  const state = await serviceAccountTarget(env, namespace, required(set, "stateConfigMap"));
  if (state) options.state = state;
  return options;
}
