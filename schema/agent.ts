import { z } from "zod";
import { OPERATOR_ENV_PREFIX } from "./contract/agent-env.ts";
import { COMMAND_CONTROL_CHARACTERS, MAX_ARG_STRLEN, MAX_COMMAND_BYTES, utf8Length } from "./exec-limits.ts";
import { celString, listMapBy, withRules } from "./extensions.ts";
import { boundedString, dnsSubdomain, envName, image, matching, presence } from "./formats.ts";
import { orgSecretRef } from "./org-secret-ref.ts";
import { AGENT_PRESET_NAMES } from "./presets.ts";
import { type Quantity, quantity, quantityValue } from "./quantity.ts";

/** What runs a task's agent pod; docs/operator.md says when to choose which. */
export const AGENT_WORKLOADS = ["Deployment", "Pod"] as const;
export type AgentWorkload = (typeof AGENT_WORKLOADS)[number];

/** The agent container's settings: the Org declares the defaults and an AgentTask may override them. */

const ResourceListSchema = z.strictObject({
  cpu: quantity().optional().describe("CPU, e.g. 500m or 2."),
  memory: quantity().optional().describe("Memory, e.g. 512Mi or 4Gi."),
});

export const ResourcesSchema = withRules(
  z
    .strictObject({
      requests: ResourceListSchema.optional().describe("What the scheduler reserves for the agent."),
      limits: ResourceListSchema.optional().describe("The most the agent may use."),
    })
    .describe("Compute resources of the agent container."),
  requestWithinLimit("cpu"),
  requestWithinLimit("memory"),
);
export type Resources = z.infer<typeof ResourcesSchema>;

/**
 * One variable, as execve takes it: `NAME=value` and its NUL within MAX_ARG_STRLEN. 32768 code points
 * may be 131072 bytes, so the length alone does not keep a value within it.
 */
export const EnvVarSchema = withRules(
  z.strictObject({
    name: withRules(envName(), {
      rule: `!self.startsWith(${celString(OPERATOR_ENV_PREFIX)})`,
      message: `${OPERATOR_ENV_PREFIX}* variables are the operator's (the agent's contract): choose another name`,
      check: (name) => !name.startsWith(OPERATOR_ENV_PREFIX),
    }).describe("Variable name."),
    value: boundedString(32768).default("").describe("Variable value."),
  }),
  {
    rule: `bytes(self.name).size() + bytes(self.value).size() + 2 <= ${MAX_ARG_STRLEN}`,
    message: `NAME=value must be at most ${MAX_ARG_STRLEN - 1} bytes in UTF-8: Linux limits one environment entry to ${MAX_ARG_STRLEN} bytes, its NUL included`,
    fieldPath: ".value",
    check: ({ name, value }) => utf8Length(name) + utf8Length(value) + 2 <= MAX_ARG_STRLEN,
  },
);
export type EnvVar = z.infer<typeof EnvVarSchema>;

export const EnvSchema = listMapBy(
  z.array(EnvVarSchema).max(64, "must have at most 64 entries"),
  "name",
).describe("Environment variables of the agent container.");

export const TolerationSchema = z.strictObject({
  key: boundedString(316).optional().describe("Taint key; empty with operator Exists matches every taint."),
  operator: z.enum(["Exists", "Equal"]).optional().describe("Exists or Equal (the default)."),
  value: boundedString(63).optional().describe("Taint value, for operator Equal."),
  effect: z
    .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"])
    .optional()
    .describe("Taint effect; all when omitted."),
  tolerationSeconds: z.int().min(0).optional().describe("How long a NoExecute taint is tolerated."),
});

const COMMAND_CONTROL = new RegExp(COMMAND_CONTROL_CHARACTERS, "u");

/**
 * A program and its arguments, as execve takes them and as the agent's environment carries them (one
 * JSON variable): every entry free of NUL, the whole within MAX_COMMAND_BYTES.
 */
export const CommandSchema = withRules(
  z
    .array(
      withRules(boundedString(4096), {
        rule: `!self.matches(${celString(COMMAND_CONTROL_CHARACTERS)})`,
        message: "must not contain NUL or other control characters except tab, newline and carriage return",
        check: (entry) => !COMMAND_CONTROL.test(entry),
      }),
    )
    .max(64, "must have at most 64 entries"),
  {
    rule: `self.map(entry, bytes(entry).size()).sum() <= ${MAX_COMMAND_BYTES}`,
    message: `must be at most ${MAX_COMMAND_BYTES} bytes in UTF-8 in all: the agent receives the command in one environment variable, which Linux limits to ${MAX_ARG_STRLEN} bytes`,
    check: (entries) => entries.reduce((sum, entry) => sum + utf8Length(entry), 0) <= MAX_COMMAND_BYTES,
  },
);

const PRESET_WITH_COMMAND =
  "preset and command (or args) are mutually exclusive: a preset decides the command line; remove spec.agent.command and spec.agent.args, or spec.agent.preset";
const WITHOUT_PRESET = "apply only to a preset's CLI: set spec.agent.preset or remove them";

export const AgentDefaultsSchema = withRules(
  z
    .strictObject(
      {
        preset: z
          .enum(AGENT_PRESET_NAMES)
          .optional()
          .describe(
            "A coding-agent CLI that runs each task: its non-interactive command line with the prompt, its image variant and its environment (docs/agents.md). A custom spec.agent.command when omitted.",
          ),
        credentialsSecretRef: orgSecretRef(
          "Secret with the API keys of the preset's CLI: it reads the keys it documents (e.g. ANTHROPIC_API_KEY) as variables of the same name, in the agent container only.",
        ).optional(),
        baseUrl: matching(/^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/, 2048, "must be an http:// or https:// URL")
          .optional()
          .describe(
            "Base URL of a model gateway the preset's CLI sends its requests to (ANTHROPIC_BASE_URL, OPENAI_BASE_URL, ... as the preset documents); the provider's own when omitted.",
          ),
        image: image()
          .optional()
          .describe(
            "Container image of the agent runtime; the operator's --agent-image (its preset variant, with a preset) when omitted.",
          ),
        command: CommandSchema.optional().describe(
          "Command that runs the agent; the image's default when omitted. Not with a preset.",
        ),
        args: CommandSchema.optional().describe("Arguments passed to the command. Not with a preset."),
        resources: ResourcesSchema.optional(),
        env: EnvSchema.default([]),
        allowImageOverride: z
          .boolean()
          .default(false)
          .describe(
            "Let the Org's tasks choose their own agent image (an AgentTask's spec.agent.image), always pulled with the Org's credentials. Off: a node runs any image it has cached, so a task could run another tenant's private image.",
          ),
        nodeSelector: z
          .record(z.string(), boundedString(63))
          .optional()
          .describe("Node labels the agent pods must match, e.g. to place them on a pool of agent nodes."),
        tolerations: z
          .array(TolerationSchema)
          .max(16, "must have at most 16 entries")
          .optional()
          .describe("Taints the agent pods tolerate."),
        runtimeClassName: dnsSubdomain()
          .optional()
          .describe(
            "RuntimeClass of the agent pods, e.g. gvisor or kata, for isolation stronger than a container's; a task cannot change it. The Org is not Ready while its cluster has no RuntimeClass of this name.",
          ),
        workload: z
          .enum(AGENT_WORKLOADS)
          .default("Deployment")
          .describe(
            "What runs each task's agent: a Deployment (its ReplicaSet makes the pod), or a bare Pod the operator makes itself and makes again, for the same attempt, when it is evicted or its node is lost. Pod starts agents faster (no controller-manager between the operator and the pod); a running Pod keeps the template it started with.",
          ),
      },
      { error: presence("an object") },
    )
    .describe("Defaults for the agent container of every task of the Org."),
  {
    rule: "!has(self.preset) || (!has(self.command) && !has(self.args))",
    message: PRESET_WITH_COMMAND,
    fieldPath: ".command",
    check: (agent) => agent.preset === undefined || (agent.command === undefined && agent.args === undefined),
  },
  {
    rule: "has(self.preset) || (!has(self.credentialsSecretRef) && !has(self.baseUrl))",
    message: `credentialsSecretRef and baseUrl ${WITHOUT_PRESET}`,
    fieldPath: ".preset",
    check: (agent) =>
      agent.preset !== undefined || (agent.credentialsSecretRef === undefined && agent.baseUrl === undefined),
  },
);
export type AgentDefaults = z.infer<typeof AgentDefaultsSchema>;

export const AgentOverridesSchema = z
  .strictObject({
    image: image()
      .optional()
      .describe(
        "Replaces the Org's agent image, only in an Org with spec.agent.allowImageOverride; pulled with imagePullPolicy Always.",
      ),
    resources: ResourcesSchema.optional().describe("Replaces the Org's agent resources."),
    env: EnvSchema.optional().describe("Merged over the Org's agent env, by name."),
  })
  .describe("Overrides of the Org's agent defaults for this task.");
export type AgentOverrides = z.infer<typeof AgentOverridesSchema>;

/** A request above its limit makes the API server reject the agent Deployment; refuse it at the door. */
function requestWithinLimit(resource: "cpu" | "memory") {
  return {
    rule: `!has(self.requests) || !has(self.limits) || !has(self.requests.${resource}) || !has(self.limits.${resource}) || quantity(string(self.requests.${resource})).compareTo(quantity(string(self.limits.${resource}))) <= 0`,
    message: `requests.${resource} must not exceed limits.${resource}`,
    fieldPath: `.requests.${resource}`,
    check: (value: {
      requests?: Record<string, Quantity | undefined>;
      limits?: Record<string, Quantity | undefined>;
    }) => {
      const [request, limit] = [value.requests?.[resource], value.limits?.[resource]];
      return request === undefined || limit === undefined || quantityValue(request) <= quantityValue(limit);
    },
  };
}
