import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { LABEL_ORG } from "../../operator/render/labels.ts";
import { taskChildNames } from "../../operator/render/names.ts";
import { tailnetHostname } from "../../operator/render/service.ts";
import {
  AGENT_TASK_KIND,
  type AgentTask,
  type AgentTaskSpecInput,
  API_VERSION,
  type Org,
  orgNamespace,
} from "../../schema/index.ts";
import { ScheduleRequestSchema, type ScheduleResponse, ScheduleResponseSchema } from "../../schema/rest.ts";
import type { Actor } from "../actor.ts";
import {
  IDEMPOTENCY_ANNOTATION,
  IdempotencyKeySchema,
  idempotentTaskName,
  requestHash,
} from "../idempotency.ts";
import { KubeError } from "../kube.ts";
import { COMMON_PROBLEMS, problemResponses } from "../openapi.ts";
import { PREFIXES } from "../prefixes.ts";
import { Problem, ProblemType } from "../problem.ts";
import { readOrg, readTask, taskAttributes, taskPath } from "../resources.ts";

/** Tasks the api creates without an Idempotency-Key get a name the API server completes. */
const GENERATE_NAME = "task-";

function taskLinks(namespace: string, name: string, org: string): ScheduleResponse["links"] {
  const self = `${PREFIXES.tasks}/${namespace}/${name}`;
  return {
    self,
    logs: `${self}/logs`,
    cancel: `${self}/cancel`,
    events: `${PREFIXES.events}?org=${encodeURIComponent(org)}`,
  };
}

/** "local", or the Secret holding the Org's kubeconfig, as the operator reports it. */
function orgCluster(org: Org): string {
  if (org.status?.cluster) return org.status.cluster;
  const ref = org.spec.cluster?.kubeconfigSecretRef;
  return ref ? `${ref.namespace}/${ref.name}` : "local";
}

/** The name the editor will answer to: on the tailnet when the Org uses Tailscale, else in-cluster DNS. */
function editorHostname(task: AgentTask, org: Org): string {
  const mesh = org.spec.mesh;
  if (mesh?.provider === "tailscale") {
    const host = tailnetHostname(task, org);
    return mesh.tailnetDomain ? `${host}.${mesh.tailnetDomain}` : host;
  }
  return `${taskChildNames(task.metadata.name as string).service}.${orgNamespace(org)}.svc.cluster.local`;
}

/** The MVP's answer to a schedule, now read off the created AgentTask and its Org. */
export function scheduleResponse(task: AgentTask, org: Org): ScheduleResponse {
  const name = task.metadata.name as string;
  const namespace = task.metadata.namespace as string;
  const children = taskChildNames(name);
  return {
    task: { name, namespace, uid: task.metadata.uid as string },
    org: org.metadata.name as string,
    cluster: orgCluster(org),
    agent: {
      deployment: children.deployment,
      service: children.service,
      editorHostname: editorHostname(task, org),
    },
    links: taskLinks(namespace, name, org.metadata.name as string),
  };
}

/** A create refused because the task's name is taken: the retry of the same request, or a reused key. */
async function existingTwin(actor: Actor, namespace: string, name: string, hash: string): Promise<AgentTask> {
  const existing = await readTask(actor, namespace, name);
  if (existing.metadata.annotations?.[IDEMPOTENCY_ANNOTATION] === hash) return existing;
  throw new Problem(
    422,
    ProblemType.idempotencyMismatch,
    `this Idempotency-Key was already used for another request (task ${namespace}/${name}); send a new key for a new request`,
  );
}

export const scheduleRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "",
    {
      schema: {
        operationId: "schedule",
        tags: ["tasks"],
        summary: "Schedule a task",
        description:
          "Creates an AgentTask in the Org's namespace, as the caller (who needs `get` on the Org and `create` on agenttasks there). With an Idempotency-Key, retries of the same request return the same task.",
        security: [{ bearer: [] }],
        headers: z.looseObject({
          "idempotency-key": IdempotencyKeySchema.optional().describe(
            "Makes retries safe: the same key and request return the same task.",
          ),
        }),
        body: ScheduleRequestSchema,
        response: {
          202: ScheduleResponseSchema.describe("The task was created; Location is its URL."),
          ...problemResponses(...COMMON_PROBLEMS, 404, 409, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const { actor } = request;
      const { org: orgName, task } = request.body;
      const spec: Omit<AgentTaskSpecInput, "org"> = typeof task === "string" ? { prompt: task } : task;
      const org = await readOrg(actor, orgName);
      const namespace = orgNamespace(org);
      await actor.authorize(taskAttributes("create", namespace));

      const key = request.headers["idempotency-key"];
      const hash = requestHash({ org: orgName, task: spec });
      const name = key ? idempotentTaskName(actor.name, key) : undefined;
      const manifest = {
        apiVersion: API_VERSION,
        kind: AGENT_TASK_KIND,
        metadata: {
          ...(name
            ? { name, annotations: { [IDEMPOTENCY_ANNOTATION]: hash } }
            : { generateName: GENERATE_NAME }),
          namespace,
          labels: { [LABEL_ORG]: orgName },
        },
        spec: { org: orgName, ...spec },
      };

      let created: AgentTask;
      try {
        created = await actor.request<AgentTask>("POST", taskPath(namespace), { body: manifest });
      } catch (err) {
        if (!(err instanceof KubeError)) throw err;
        if (name && err.status === 409 && err.reason === "AlreadyExists") {
          created = await existingTwin(actor, namespace, name, hash);
        } else if (err.status === 404 && err.details?.kind === "namespaces") {
          throw new Problem(
            409,
            ProblemType.conflict,
            `namespace ${namespace} of org ${orgName} does not exist yet: the operator creates it when it reconciles the Org; retry shortly`,
            { headers: { "retry-after": "5" } },
          );
        } else {
          throw err;
        }
      }
      const response = scheduleResponse(created, org);
      request.log.info({ task: `${namespace}/${response.task.name}`, caller: actor.name }, "task scheduled");
      return reply.code(202).header("location", response.links.self).send(response);
    },
  );
};
