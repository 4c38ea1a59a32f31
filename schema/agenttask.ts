import { z } from "zod";
import { AgentOverridesSchema, CommandSchema } from "./agent.ts";
import { AGENT_TASK_KIND, API_VERSION } from "./api.ts";
import { duration } from "./duration.ts";
import { MAX_ARG_STRLEN, MAX_PROMPT_BYTES, PROMPT_CONTROL_CHARACTERS, utf8Length } from "./exec-limits.ts";
import { celString, withRules, withTransitionRules } from "./extensions.ts";
import { boundedString, dnsLabel, gitBranch, matching, presence, repoUrl } from "./formats.ts";
import { ConditionsSchema, objectMeta } from "./meta.ts";
import { TaskPhaseSchema } from "./phase.ts";
import { PullRequestForgeSchema, PullRequestStateSchema, TaskPullRequestSchema } from "./pull-request.ts";

/** 64 KiB: room for a detailed brief, far below etcd's object size limit. */
export const MAX_PROMPT_LENGTH = 65_536;
const PROMPT_CONTROL = new RegExp(PROMPT_CONTROL_CHARACTERS, "u");
/** A task's name becomes its Service's name, which must be a DNS-1035 label. */
const TASK_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export const TaskRepoSchema = withRules(
  z
    .strictObject({
      url: repoUrl().optional().describe("Git URL of the repository; the Org's spec.repo.url when omitted."),
      branch: gitBranch()
        .optional()
        .describe(
          "Branch to start from; the Org's spec.repo.branch when url is omitted or the same as the Org's, otherwise main.",
        ),
    })
    .describe("The repository this task works on; the Org's spec.repo when omitted."),
  {
    rule: "has(self.url) || has(self.branch)",
    message: "repo must set url, branch or both; omit repo to use the Org's repository",
    check: (repo) => repo.url !== undefined || repo.branch !== undefined,
  },
);
export type TaskRepo = z.infer<typeof TaskRepoSchema>;

export const AgentTaskSpecSchema = z
  .strictObject(
    {
      org: withTransitionRules(dnsLabel(), {
        rule: "self == oldSelf",
        message: "org cannot change; create a new AgentTask in the other Org's namespace",
      }).describe("Name of the Org this task belongs to."),
      prompt: withRules(
        boundedString(MAX_PROMPT_LENGTH),
        {
          rule: `self.matches(${celString("\\S")})`,
          message: "prompt must not be empty: describe the work for the agent",
          check: (prompt) => /\S/.test(prompt),
        },
        {
          rule: `!self.matches(${celString(PROMPT_CONTROL_CHARACTERS)})`,
          message:
            "must not contain NUL or other control characters: only tab and newline are allowed (no carriage return, escape, DEL or C1 controls)",
          check: (prompt) => !PROMPT_CONTROL.test(prompt),
        },
        {
          rule: `bytes(self).size() <= ${MAX_PROMPT_BYTES}`,
          message: `must be at most ${MAX_PROMPT_BYTES} bytes in UTF-8: the agent receives the prompt in one environment variable, which Linux limits to ${MAX_ARG_STRLEN} bytes`,
          check: (prompt) => prompt.length * 3 <= MAX_PROMPT_BYTES || utf8Length(prompt) <= MAX_PROMPT_BYTES,
        },
      ).describe("What the agent should do."),
      repo: TaskRepoSchema.optional(),
      pullRequest: TaskPullRequestSchema.optional(),
      command: CommandSchema.optional().describe(
        "Command that runs the agent; the Org's agent command when omitted.",
      ),
      agent: AgentOverridesSchema.optional(),
      timeout: duration("1s", "168h")
        .default("1h")
        .describe(
          "How long an attempt may run before the task ends as TimedOut, as a Go duration (30m, 1h30m).",
        ),
      retries: z
        .int()
        .min(0, "must be between 0 and 10")
        .max(10, "must be between 0 and 10")
        .default(0)
        .describe("Attempts after a failed one before the task ends as Failed."),
      ttlSecondsAfterFinished: z
        .int()
        .min(0, "must be at least 0")
        .max(2_147_483_647, "must fit in 32 bits")
        .optional()
        .describe("Delete the task this many seconds after it finished; kept when omitted."),
      cancel: withTransitionRules(z.boolean(), {
        rule: "self || !oldSelf",
        message: "cancel cannot be undone; create a new AgentTask to run the work again",
      })
        .default(false)
        .describe("Set to true to stop the task; it ends as Cancelled."),
      suspend: z
        .boolean()
        .default(false)
        .describe(
          "Set to true to stop the task's agent and keep its workspace (a volume with the Org's spec.workspace.storage) and editor password; false resumes it. A started task is Suspended meanwhile, a finished one keeps its phase with the condition Suspended.",
        ),
    },
    { error: presence("an object") },
  )
  .describe("Desired state of the AgentTask.");
export type AgentTaskSpec = z.infer<typeof AgentTaskSpecSchema>;
export type AgentTaskSpecInput = z.input<typeof AgentTaskSpecSchema>;

export const DiffstatSchema = z.strictObject({
  files: z.int().min(0).describe("Files changed."),
  insertions: z.int().min(0).describe("Lines added."),
  deletions: z.int().min(0).describe("Lines removed."),
});
export type Diffstat = z.infer<typeof DiffstatSchema>;

export const COMMIT = /^[0-9a-f]{7,64}$/;
export const MAX_SUMMARY_LENGTH = 16_384;
export const MAX_LAST_PR_ERROR_LENGTH = 1024;

export const LastPRSchema = z
  .strictObject({
    branch: z.string().max(255).describe("Branch the agent pushed."),
    commit: z
      .string()
      .max(64)
      .regex(COMMIT, "must be a hexadecimal commit id")
      .describe("Commit at the tip of branch."),
    base: z.string().max(255).describe("Branch the work is based on."),
    title: z.string().max(1024).describe("Title of the change."),
    summary: z.string().max(MAX_SUMMARY_LENGTH).describe("What the agent did."),
    diffstat: DiffstatSchema,
    url: z
      .string()
      .max(2048)
      .optional()
      .describe(
        "The pull request's page when one was opened; else, on a known forge, where a person opens one.",
      ),
    forge: PullRequestForgeSchema.optional().describe("The forge the pull request is on."),
    number: z.int().min(1).optional().describe("The pull request's number on its forge."),
    state: PullRequestStateSchema.optional().describe("The pull request's state when the agent last saw it."),
    pullRequestError: z
      .string()
      .max(MAX_LAST_PR_ERROR_LENGTH)
      .optional()
      .describe("Why no pull request was opened or updated for the pushed branch."),
  })
  .describe("The change the last attempt pushed, from the agent's last_pr.json.");
export type LastPR = z.infer<typeof LastPRSchema>;

const shortText = (description: string) => z.string().max(253).optional().describe(description);

export const AgentTaskStatusSchema = z
  .strictObject({
    phase: TaskPhaseSchema.optional().describe("Where the task is in its lifecycle."),
    conditions: ConditionsSchema.optional(),
    observedGeneration: z.int().min(0).optional().describe("The .metadata.generation this status reflects."),
    cluster: z
      .string()
      .max(512)
      .optional()
      .describe("'local', or the Org's kubeconfig Secret as <namespace>/<name>."),
    namespace: shortText("Namespace of the agent's objects in that cluster."),
    deployment: shortText("Name of the agent Deployment (spec.agent.workload Deployment, the default)."),
    pod: shortText("Name of the current attempt's agent Pod (spec.agent.workload Pod)."),
    service: shortText("Name of the agent Service."),
    editorURL: z.string().max(2048).optional().describe("Where the task's code-server editor is reachable."),
    attempts: z.int().min(0).optional().describe("Attempts started so far."),
    startedAt: z.iso.datetime().optional().describe("When the first attempt started."),
    attemptStartedAt: z.iso
      .datetime()
      .optional()
      .describe("When the current attempt started; its timeout counts from here."),
    runningAt: z.iso
      .datetime()
      .optional()
      .describe(
        "When an agent of the task was first seen running; with creationTimestamp, how long it waited.",
      ),
    finishedAt: z.iso.datetime().optional().describe("When the task reached a final phase."),
    suspendedAt: z.iso
      .datetime()
      .optional()
      .describe(
        "When the task's agent was last suspended; the attempt's timeout does not count the time since.",
      ),
    workspace: shortText("Name of the task's workspace PersistentVolumeClaim (Org spec.workspace.storage)."),
    message: z.string().max(32768).optional().describe("One line on the current state, for people."),
    artifacts: z
      .strictObject({
        lastPR: LastPRSchema.optional(),
        lastPRError: z
          .string()
          .max(MAX_LAST_PR_ERROR_LENGTH)
          .optional()
          .describe(
            "Why the agent's last_pr.json of the last attempt was refused, or which of its texts were cut.",
          ),
      })
      .optional()
      .describe("What the agent produced."),
  })
  .describe("Observed state of the AgentTask.");
export type AgentTaskStatus = z.infer<typeof AgentTaskStatusSchema>;

export const AgentTaskSchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(AGENT_TASK_KIND),
    metadata: objectMeta(
      matching(
        TASK_NAME,
        63,
        "AgentTask names must be DNS-1035 labels: lowercase letters, digits and '-', starting with a letter, at most 63; they name the task's Service",
      ),
    ),
    spec: AgentTaskSpecSchema,
    status: AgentTaskStatusSchema.optional(),
  })
  .describe("A unit of work for a coding agent, in its Org's namespace.");
export type AgentTask = z.infer<typeof AgentTaskSchema>;
export type AgentTaskInput = z.input<typeof AgentTaskSchema>;
