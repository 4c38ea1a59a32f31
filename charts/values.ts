import { z } from "zod";
import { GO_DURATION } from "../schema/duration.ts";
import { DNS_LABEL, DNS_SUBDOMAIN, IMAGE } from "../schema/formats.ts";
import { QUANTITY } from "../schema/quantity.ts";

/**
 * The Helm chart's values. values.schema.json is generated from this schema (so `helm install`
 * refuses a value it does not describe), charts/agentyard/values.yaml must be exactly its defaults,
 * and the cdk8s app takes the same values: one description of what an install can say.
 *
 * JSON Schema cannot run zod refinements, so every rule here is a type, an enum, a bound or a pattern.
 */

const quantity = z
  .union([z.int().min(0), z.string().regex(QUANTITY)])
  .describe("A Kubernetes quantity such as 100m, 1 or 256Mi.");

const resourceList = z.strictObject({
  cpu: quantity.optional(),
  memory: quantity.optional(),
  "ephemeral-storage": quantity.optional(),
});

const resources = z
  .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
  .describe("Compute resources of the container.");

const toleration = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(["Exists", "Equal"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.int().min(0).optional(),
});

const image = (what: string) => z.string().regex(IMAGE).max(512).describe(what);

/** Where a workload runs; the chart passes these to the pod spec as they are. */
const placement = {
  nodeSelector: z.record(z.string(), z.string()).default({}),
  tolerations: z.array(toleration).default([]),
  priorityClassName: z.string().max(253).default(""),
};

const disruptionBudget = z
  .strictObject({
    enabled: z.boolean().default(true),
    maxUnavailable: z.int().min(1).default(1),
  })
  .describe("A PodDisruptionBudget, so that node drains keep a replica serving.");

/** A NetworkPolicy peer, as Kubernetes writes it (selectors or an IP block). */
const peer = z.strictObject({
  namespaceSelector: z.record(z.string(), z.unknown()).optional(),
  podSelector: z.record(z.string(), z.unknown()).optional(),
  ipBlock: z.strictObject({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});

const port = z.int().min(1).max(65_535);

/** What the operator's and the api's pods both take: their resources, disruption budget and placement. */
const workload = {
  resources: resources.default({
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { memory: "512Mi" },
  }),
  podDisruptionBudget: disruptionBudget.prefault({}),
  ...placement,
};

export const ValuesSchema = z.strictObject({
  image: z
    .strictObject({
      repository: image("The agentyard image (operator and api)").default("agentyard/agentyard"),
      tag: z
        .string()
        .regex(/^$|^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/)
        .default("")
        .describe("Image tag; the chart's appVersion when empty."),
      pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).default("IfNotPresent"),
    })
    .prefault({}),
  imagePullSecrets: z.array(z.strictObject({ name: z.string().regex(DNS_LABEL) })).default([]),

  operator: z
    .strictObject({
      replicas: z
        .int()
        .min(1)
        .max(10)
        .default(2)
        .describe("Replicas; one leads (a Lease in the release namespace), the others stand by."),
      leaseDuration: z
        .string()
        .regex(GO_DURATION)
        .default("15s")
        .describe("How long a standby waits for a silent leader, as a Go duration."),
      concurrency: z.int().min(1).max(64).default(8).describe("Reconciles at once per controller."),
      logLevel: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
      agentImage: z
        .union([z.literal(""), image("Agent image")])
        .default("")
        .describe("Agent image for Orgs that name none; agentyard/agent:<appVersion> when empty."),
      editorImage: z
        .union([z.literal(""), image("code-server image")])
        .default("")
        .describe("code-server image for Orgs that name none; the operator's pinned one when empty."),
      tailscaleImage: z
        .union([z.literal(""), image("tailscale image")])
        .default("")
        .describe("tailscale image of Orgs in mesh mode sidecar; the operator's pinned one when empty."),
      secretNamespaces: z
        .array(z.string().regex(DNS_LABEL).max(63))
        .default([])
        .describe(
          "Namespaces where platform admins keep the Secrets Orgs may name (kubeconfigs, git credentials); an Org naming a Secret elsewhere is Stalled. The release namespace when empty.",
        ),
      metricsPort: port.default(8081).describe("Port of /healthz, /readyz and /metrics."),
      ...workload,
    })
    .prefault({}),

  api: z
    .strictObject({
      enabled: z.boolean().default(true).describe("Run the REST api and dashboard."),
      replicas: z.int().min(1).max(20).default(2),
      port: port.default(8080).describe("Container port of the api."),
      logLevel: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
      service: z
        .strictObject({
          type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP"),
          port: port.default(80),
          annotations: z.record(z.string(), z.string()).default({}),
        })
        .prefault({}),
      tls: z
        .strictObject({
          secretName: z
            .union([z.literal(""), z.string().regex(DNS_SUBDOMAIN).max(253)])
            .default("")
            .describe(
              "A kubernetes.io/tls Secret in the release namespace (cert-manager writes one for a Certificate): the api serves HTTPS with its tls.crt and tls.key, and a renewed pair without a restart. Plain HTTP when empty.",
            ),
        })
        .prefault({}),
      ...workload,
    })
    .prefault({}),

  networkPolicy: z
    .strictObject({
      enabled: z.boolean().default(true).describe("Fence the operator and api pods in with NetworkPolicies."),
      apiServerPorts: z
        .array(port)
        .min(1)
        .default([443, 6443])
        .describe("Ports of the Kubernetes API servers (the management cluster's and the Orgs' own)."),
      apiIngressFrom: z
        .array(peer)
        .default([])
        .describe("Who may reach the api; anyone in the cluster when empty."),
      metricsIngressFrom: z
        .array(peer)
        .default([])
        .describe("Who may scrape /metrics; anyone in the cluster when empty."),
    })
    .prefault({}),

  /** Helm hands a parent chart's globals to every subchart; allow them so agentyard can be one. */
  global: z.record(z.string(), z.unknown()).optional(),
});

export type Values = z.output<typeof ValuesSchema>;
export type ValuesInput = z.input<typeof ValuesSchema>;

/**
 * Values with every default filled in: what the chart renders when given `input`. Helm merges a
 * user's values into values.yaml key by key (maps merge, lists and scalars replace, null removes),
 * so a user who sets only resources.requests keeps the default limits; do the same here.
 */
export function resolveValues(input: unknown = {}): Values {
  return ValuesSchema.parse(coalesce(ValuesSchema.parse({}), input));
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function coalesce(defaults: unknown, input: unknown): unknown {
  if (!isMap(defaults) || !isMap(input)) return input === undefined ? defaults : input;
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(input)) {
    if (value === null) delete merged[key];
    else merged[key] = coalesce(defaults[key], value);
  }
  return merged;
}

/** values.schema.json, in draft-07, which Helm's validator reads. */
export function valuesJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ValuesSchema, { target: "draft-7", io: "input" }) as Record<string, unknown>;
}
