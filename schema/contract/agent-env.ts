/**
 * The agent container's environment, which the operator's Deployment sets and the agent runtime
 * reads. Neither side spells a variable: the operator hands agentEnvVars a value for every key (so
 * a variable it does not set is a decision, written as undefined), and the runtime reads them back
 * with readAgentEnv by the same keys.
 */
export const AGENT_ENV = {
  task: {
    name: "AGENTYARD_TASK",
    carries: "the AgentTask's name",
    always: true,
  },
  org: {
    name: "AGENTYARD_ORG",
    carries: "the Org's name",
    always: true,
  },
  namespace: {
    name: "AGENTYARD_NAMESPACE",
    carries: "the namespace of the agent and its state ConfigMap",
    always: true,
  },
  attempt: {
    name: "AGENTYARD_ATTEMPT",
    carries: "the attempt this pod runs, counted from 1",
    always: true,
  },
  prompt: {
    name: "AGENTYARD_PROMPT",
    carries: "the task's prompt",
    always: true,
  },
  stateConfigMap: {
    name: "AGENTYARD_STATE_CONFIGMAP",
    carries: "the ConfigMap the runtime reports to",
    always: true,
  },
  stateDir: {
    name: "AGENTYARD_STATE_DIR",
    carries: "where the state volume is mounted",
    always: true,
  },
  workspace: {
    name: "AGENTYARD_WORKSPACE",
    carries: "where the workspace volume is mounted",
    always: true,
  },
  repoUrl: {
    name: "AGENTYARD_REPO_URL",
    carries: "the repository to clone, when there is one",
    always: false,
  },
  repoBranch: {
    name: "AGENTYARD_REPO_BRANCH",
    carries: "the repository's base branch",
    always: false,
  },
  command: {
    name: "AGENTYARD_COMMAND",
    carries: "the command, as a JSON array of strings",
    always: false,
  },
  promptArgument: {
    name: "AGENTYARD_PROMPT_ARGUMENT",
    carries:
      "the command's last argument, `{prompt}` standing for the prompt, when the runtime passes the prompt to the command (an Org's preset)",
    always: false,
  },
  homeFiles: {
    name: "AGENTYARD_HOME_FILES",
    carries:
      "files the runtime writes into $HOME before the command starts, as a JSON object of relative path → content (an Org's preset)",
    always: false,
  },
  gitCredentials: {
    name: "AGENTYARD_GIT_CREDENTIALS",
    carries: "where the Org's git credentials are mounted (in the git container only)",
    always: false,
  },
  gitHandoff: {
    name: "AGENTYARD_GIT_HANDOFF",
    carries: "where the agent asks its git container to clone and push, and reads the answers",
    always: false,
  },
  gitHome: {
    name: "AGENTYARD_GIT_HOME",
    carries: "the git container's own folder: git's HOME and its scratch repositories",
    always: false,
  },
  editorUrl: {
    name: "AGENTYARD_EDITOR_URL",
    carries: "code-server's base URL, when the Org has an editor",
    always: false,
  },
  pullRequest: {
    name: "AGENTYARD_PULL_REQUEST",
    carries:
      "the pull request to open after each push, as JSON (PullRequestConfigSchema; in the git container only)",
    always: false,
  },
} as const;

export type AgentEnvKey = keyof typeof AGENT_ENV;

/**
 * Every variable of the table starts with this (a unit test checks it), and so does every variable
 * the runtime reads beyond it: names the operator owns. An Org's or a task's env may not set them —
 * not even those the operator leaves unset for a task, such as AGENTYARD_COMMAND.
 */
export const OPERATOR_ENV_PREFIX = "AGENTYARD_";

/** Whether a variable is the operator's to set, whatever it sets for this task. */
export function isOperatorEnv(name: string): boolean {
  return name.startsWith(OPERATOR_ENV_PREFIX);
}

type AlwaysSet = {
  [K in AgentEnvKey]: (typeof AGENT_ENV)[K]["always"] extends true ? K : never;
}[AgentEnvKey];

/** What the operator sets: every key named, those it sets only sometimes may be undefined. */
export type AgentEnv = { [K in AgentEnvKey]: K extends AlwaysSet ? string : string | undefined };

/** What the runtime finds: any variable may be missing from an environment it did not make. */
export type ReadAgentEnv = { [K in AgentEnvKey]: string | undefined };

const KEYS = Object.keys(AGENT_ENV) as AgentEnvKey[];

/**
 * The container's env entries, in the table's order (a reordering would roll every agent pod). The
 * kubelet reads `$$` in an env value as `$` and `$(NAME)` as an earlier variable's value; each `$`
 * doubled, the runtime reads the prompt and the command as the task spelled them.
 */
export function agentEnvVars(values: AgentEnv): { name: string; value: string }[] {
  return envEntries(values);
}

/**
 * What the git container reads: the repository, its credentials and the handoff folder, nothing of
 * the task's prompt or command (it runs none of the task's code).
 */
export const GIT_CONTAINER_ENV_KEYS = [
  "task",
  "org",
  "attempt",
  "workspace",
  "repoUrl",
  "repoBranch",
  "gitCredentials",
  "gitHandoff",
  "gitHome",
  "pullRequest",
] as const satisfies readonly AgentEnvKey[];

export type GitContainerEnv = Pick<AgentEnv, (typeof GIT_CONTAINER_ENV_KEYS)[number]>;

/** The git container's env entries, in the table's order. */
export function gitContainerEnvVars(values: GitContainerEnv): { name: string; value: string }[] {
  return envEntries(values);
}

function envEntries(values: Partial<Record<AgentEnvKey, string>>): { name: string; value: string }[] {
  return KEYS.flatMap((key) => {
    const value = values[key];
    return value === undefined
      ? []
      : [{ name: AGENT_ENV[key].name, value: value.replaceAll("$", () => "$$") }];
  });
}

/**
 * The same variables as a record of name → value, as they are, for a member's binding (warm-pool.ts):
 * no kubelet reads them, so nothing is escaped.
 */
export function agentEnvRecord(values: Partial<Record<AgentEnvKey, string>>): Record<string, string> {
  return Object.fromEntries(
    KEYS.flatMap((key) => {
      const value = values[key];
      return value === undefined ? [] : [[AGENT_ENV[key].name, value]];
    }),
  );
}

export function readAgentEnv(env: NodeJS.ProcessEnv): ReadAgentEnv {
  return Object.fromEntries(KEYS.map((key) => [key, env[AGENT_ENV[key].name]])) as ReadAgentEnv;
}

/** Stands for the prompt in AGENTYARD_PROMPT_ARGUMENT. */
export const PROMPT_PLACEHOLDER = "{prompt}";

/**
 * The argv the runtime execs: the command, then, when the task passes its prompt as an argument,
 * that argument with the prompt in place of `{prompt}`: one entry, never through a shell.
 */
export function commandArgv(command: string[], promptArgument: string | undefined, prompt: string): string[] {
  if (promptArgument === undefined) return command;
  return [...command, promptArgument.split(PROMPT_PLACEHOLDER).join(prompt)];
}
