import { z } from "zod";
import { AgentTaskSchema, AgentTaskSpecSchema } from "./agenttask.ts";
import { dnsLabel } from "./formats.ts";
import { OrgSchema } from "./org.ts";
import { TaskPhaseSchema } from "./phase.ts";

/**
 * The REST API's requests and answers. Requests reuse the resource schemas field by field, so
 * `POST /schedule` refuses exactly what the API server would, with the same messages. An `id` names
 * the schema in the OpenAPI document's components.
 */

export const AgentTaskResourceSchema = AgentTaskSchema.meta({ id: "AgentTask" });
export const OrgResourceSchema = OrgSchema.meta({ id: "Org" });

export const ScheduleTaskSchema = AgentTaskSpecSchema.pick({
  prompt: true,
  repo: true,
  command: true,
  timeout: true,
  retries: true,
  ttlSecondsAfterFinished: true,
})
  .describe("The task: its prompt and, optionally, repository, command, timeout and retries.")
  .meta({ id: "ScheduleTask" });

export const ScheduleRequestSchema = z
  .strictObject({
    org: dnsLabel().describe("Name of the Org the task runs for."),
    task: z
      .union([AgentTaskSpecSchema.shape.prompt, ScheduleTaskSchema], {
        error:
          "must be a prompt string or an object {prompt, repo, command, timeout, retries, ttlSecondsAfterFinished}",
      })
      .describe("A prompt, or the task with its options."),
  })
  .describe("Schedule a task for an Org's agents.")
  .meta({ id: "ScheduleRequest" });
export type ScheduleRequest = z.infer<typeof ScheduleRequestSchema>;

export const TaskRefSchema = z
  .object({
    name: z.string().describe("Name of the AgentTask."),
    namespace: z.string().describe("Namespace of the AgentTask: its Org's namespace."),
    uid: z.string().describe("UID of the AgentTask."),
  })
  .describe("Where the AgentTask is.")
  .meta({ id: "TaskRef" });
export type TaskRef = z.infer<typeof TaskRefSchema>;

/**
 * A resume takes no input: the time it records is the api's. A body, when a client sends one, must
 * be empty, so that a client that believes it chooses the time is told it does not.
 */
export const ResumeRequestSchema = z
  .strictObject({}, { error: "resume takes no body; the api records the time itself" })
  .optional();

export const TaskResumedSchema = TaskRefSchema.extend({
  resumedAt: z.iso
    .datetime()
    .describe(
      "The api's time written to the task's agentyard.dev/resumed-at annotation; spec.suspend was set to false with it.",
    ),
})
  .describe("The resume was recorded; the operator brings the task's agent back.")
  .meta({ id: "TaskResumed" });
export type TaskResumed = z.infer<typeof TaskResumedSchema>;

export const ScheduleResponseSchema = z
  .object({
    task: TaskRefSchema,
    org: z.string().describe("The Org the task runs for."),
    cluster: z.string().describe("'local', or the Org's kubeconfig Secret as <namespace>/<name>."),
    agent: z
      .object({
        deployment: z
          .string()
          .optional()
          .describe(
            "Name of the agent Deployment the operator creates, when the Org's agents run as Deployments (spec.agent.workload Deployment, the default).",
          ),
        pod: z
          .string()
          .optional()
          .describe(
            "Name of the first attempt's agent Pod, when the Org's agents run as bare Pods (spec.agent.workload Pod) and it keeps no warm pool (a task of a pool runs in the member it binds); status.pod names the current attempt's.",
          ),
        service: z.string().describe("Name of the Service in front of the task's editor."),
        editorHostname: z.string().describe("Where the task's code-server editor will be reachable."),
      })
      .describe("The agent objects the operator creates for the task, in the Org's cluster."),
    links: z
      .object({
        self: z.string(),
        logs: z.string(),
        cancel: z.string(),
        events: z.string(),
      })
      .describe("Paths of this API that concern the task."),
  })
  .describe("The task was created; the operator starts its agent.")
  .meta({ id: "ScheduleResponse" });
export type ScheduleResponse = z.infer<typeof ScheduleResponseSchema>;

const continueToken = z
  .string()
  .max(4096)
  .optional()
  .describe("The `continue` value of the previous page; omit for the first page.");
const pageSize = z.coerce
  .number({ error: "must be a number" })
  .int("must be an integer")
  .min(1, "must be between 1 and 500")
  .max(500, "must be between 1 and 500")
  .default(100)
  .describe("Most items in one page.");

export const TaskListQuerySchema = z.strictObject({
  org: dnsLabel().optional().describe("Only the tasks of this Org."),
  phase: TaskPhaseSchema.optional().describe(
    "Only the tasks in this phase (a task without status is Pending).",
  ),
  limit: pageSize,
  continue: continueToken,
});

export const OrgListQuerySchema = z.strictObject({ limit: pageSize, continue: continueToken });

const nextPage = z
  .string()
  .optional()
  .describe("Pass as `continue` to get the next page; absent on the last page.");

export const TaskListSchema = z
  .object({ items: z.array(AgentTaskResourceSchema), continue: nextPage })
  .describe("One page of AgentTasks.")
  .meta({ id: "TaskList" });

export const OrgListSchema = z
  .object({ items: z.array(OrgResourceSchema), continue: nextPage })
  .describe("One page of Orgs.")
  .meta({ id: "OrgList" });

export const TaskParamsSchema = z.strictObject({
  namespace: dnsLabel().describe("Namespace of the AgentTask."),
  name: dnsLabel().describe("Name of the AgentTask."),
});

export const OrgParamsSchema = z.strictObject({ name: dnsLabel().describe("Name of the Org.") });

export const TaskLogQuerySchema = z.strictObject({
  tailLines: z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(1, "must be between 1 and 10000")
    .max(10_000, "must be between 1 and 10000")
    .default(200)
    .describe("Lines from the end of the log."),
});

export const TaskLogSchema = z
  .object({
    source: z
      .enum(["pod", "state"])
      .describe(
        "pod: the agent container's log; state: the tail the agent reported in its state ConfigMap, when the pod's log is out of reach.",
      ),
    pod: z.string().optional().describe("The agent pod whose log this is."),
    container: z.string().describe("The container: agent."),
    log: z.string().describe("The end of the log."),
    podLogError: z.string().optional().describe("Why the pod's log could not be read, when source is state."),
  })
  .describe("The end of the agent's log.")
  .meta({ id: "TaskLog" });
export type TaskLog = z.infer<typeof TaskLogSchema>;

export const EventsQuerySchema = z.strictObject({
  org: dnsLabel().optional().describe("Only the tasks of this Org and the Org itself; all when omitted."),
});

export const ProblemSchema = z
  .object({
    type: z.string().describe("URI naming the kind of problem."),
    title: z.string().describe("Short summary of the kind of problem."),
    status: z.int().describe("The HTTP status code."),
    detail: z.string().describe("What went wrong in this request, and how to fix it."),
    instance: z.string().optional().describe("The request path."),
    errors: z.array(z.string()).optional().describe("Every invalid field, as `<field path>: <message>`."),
  })
  .describe("An RFC 9457 problem.")
  .meta({ id: "Problem" });
export type ProblemBody = z.infer<typeof ProblemSchema>;

export const HealthSchema = z
  .object({ status: z.literal("ok") })
  .describe("The process is serving.")
  .meta({ id: "Health" });

export const TaskEventSchema = z
  .object({
    type: z.string().describe("Normal or Warning."),
    reason: z.string().describe("Why, in UpperCamelCase: Starting, Running, Succeeded..."),
    action: z.string().optional().describe("What the reporting controller did."),
    message: z.string().describe("What happened, for people."),
    count: z.int().describe("How many times it happened."),
    firstTime: z.string().optional().describe("When it first happened."),
    lastTime: z.string().optional().describe("When it last happened."),
    source: z.string().optional().describe("The controller that reported it."),
  })
  .meta({ id: "TaskEvent" });
export type TaskEvent = z.infer<typeof TaskEventSchema>;

export const TaskEventListSchema = z
  .object({ items: z.array(TaskEventSchema) })
  .describe("The Kubernetes Events about a task, oldest first.")
  .meta({ id: "TaskEventList" });

const byOrg = (what: string) =>
  z.record(z.string(), z.boolean()).describe(`Per Org name: whether the caller may ${what}.`);

export const WhoamiSchema = z
  .object({
    user: z
      .object({
        username: z.string(),
        uid: z
          .string()
          .optional()
          .describe("The caller's uid, when its credential has one (a ServiceAccount's)."),
        groups: z.array(z.string()),
      })
      .nullable()
      .describe("The authenticated caller; null when the api runs with --auth=none."),
    orgs: z.array(z.string()).describe("The Orgs the caller may read, by name."),
    namespaces: z.record(z.string(), z.string()).describe("Per Org name: the namespace of its tasks."),
    can: z.object({
      listOrgs: z.boolean().describe("list and watch Orgs cluster-wide."),
      watchAllTasks: z.boolean().describe("list and watch AgentTasks in all namespaces."),
      watch: byOrg("list and watch its tasks"),
      schedule: byOrg("create tasks"),
      cancel: byOrg("cancel tasks (patch)"),
      resume: byOrg("resume suspended tasks (patch)"),
      delete: byOrg("delete tasks"),
      logs: byOrg("read the agents' logs"),
      events: byOrg("read the tasks' Events"),
    }),
  })
  .describe("Who the caller is and what the caller may do, as Kubernetes RBAC answers.")
  .meta({ id: "Whoami" });
export type Whoami = z.infer<typeof WhoamiSchema>;
