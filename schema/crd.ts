import { z } from "zod";
import { AgentTaskSchema } from "./agenttask.ts";
import { AGENT_TASK_KIND, AGENT_TASK_PLURAL, CATEGORY, GROUP, ORG_KIND, ORG_PLURAL, VERSION } from "./api.ts";
import { OrgSchema } from "./org.ts";
import { type JsonSchema, toStructural } from "./structural.ts";

/** The CustomResourceDefinitions of agentyard, derived from the zod schemas and nothing else. */

interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  /** 1: shown by `kubectl get -o wide` only. */
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories: string[];
    };
    scope: "Namespaced" | "Cluster";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

const READY: PrinterColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: "The Ready condition.",
};
const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
/** Last, after Age, because a message can be long: the Ready condition's why, in one line. */
const REASON: PrinterColumn = {
  name: "Reason",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: "Why the Ready condition is what it is.",
};
const MESSAGE: PrinterColumn = {
  name: "Message",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].message',
  description: "The Ready condition's message.",
};

export function renderCrds(): CustomResourceDefinition[] {
  return [
    crd({
      kind: ORG_KIND,
      plural: ORG_PLURAL,
      scope: "Cluster",
      schema: OrgSchema,
      columns: [
        {
          name: "Namespace",
          type: "string",
          jsonPath: ".status.namespace",
          description: "Namespace of the Org's tasks.",
        },
        {
          name: "Cluster",
          type: "string",
          jsonPath: ".status.cluster",
          description: "Cluster of the Org's agents.",
        },
        READY,
        {
          name: "Running",
          type: "integer",
          jsonPath: ".status.tasks.running",
          description: "Tasks running.",
        },
        {
          name: "Queued",
          type: "integer",
          jsonPath: ".status.tasks.queued",
          description: "Tasks waiting for a slot.",
        },
        AGE,
        REASON,
        MESSAGE,
      ],
    }),
    crd({
      kind: AGENT_TASK_KIND,
      plural: AGENT_TASK_PLURAL,
      scope: "Namespaced",
      shortNames: ["at", "agtask"],
      schema: AgentTaskSchema,
      columns: [
        { name: "Org", type: "string", jsonPath: ".spec.org", description: "The task's Org." },
        {
          name: "Phase",
          type: "string",
          jsonPath: ".status.phase",
          description: "Where the task is in its lifecycle.",
        },
        READY,
        {
          name: "Editor",
          type: "string",
          jsonPath: ".status.editorURL",
          description: "The task's code-server editor.",
        },
        {
          name: "PR",
          type: "integer",
          jsonPath: ".status.artifacts.lastPR.number",
          description: "The number of the pull request the task opened.",
        },
        {
          name: "PR-State",
          type: "string",
          jsonPath: ".status.artifacts.lastPR.state",
          description: "open, closed or merged.",
          priority: 1,
        },
        {
          name: "PR-URL",
          type: "string",
          jsonPath: ".status.artifacts.lastPR.url",
          description: "The pull request's page.",
          priority: 1,
        },
        AGE,
        REASON,
        MESSAGE,
      ],
    }),
  ];
}

interface Resource {
  kind: string;
  plural: string;
  scope: "Namespaced" | "Cluster";
  shortNames?: string[];
  schema: z.ZodType;
  columns: PrinterColumn[];
}

function crd({ kind, plural, scope, shortNames, schema, columns }: Resource): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${GROUP}`, labels: { "app.kubernetes.io/part-of": "agentyard" } },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        ...(shortNames ? { shortNames } : {}),
        categories: [CATEGORY],
      },
      scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openAPIV3Schema(schema) },
          subresources: { status: {} },
          additionalPrinterColumns: columns,
        },
      ],
    },
  };
}

/**
 * The API server owns apiVersion, kind and metadata. A CRD may only add rules on metadata.name, so
 * that is all that stays of the zod ObjectMeta; the zod literals of apiVersion and kind become the
 * plain strings every CRD declares.
 */
function openAPIV3Schema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" }) as JsonSchema;
  const properties = json.properties as Record<string, JsonSchema>;
  const metadata = properties.metadata?.properties as Record<string, JsonSchema>;
  return toStructural({
    ...json,
    properties: {
      ...properties,
      apiVersion: { type: "string", description: "Versioned schema of this representation of the object." },
      kind: { type: "string", description: "REST resource this object represents." },
      metadata: { type: "object", properties: { name: metadata.name as JsonSchema } },
    },
    required: ["spec"],
  });
}
