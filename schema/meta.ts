import { z } from "zod";
import { listMapBy } from "./extensions.ts";

/** The fields of metav1.ObjectMeta our code reads; the rest passes through untouched. */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/**
 * ObjectMeta whose name follows a resource's own rules. The name stays optional because a client
 * may send generateName; the API server checks the name it generates.
 */
export function objectMeta(name: z.ZodString) {
  return ObjectMetaSchema.extend({ name: name.optional() });
}

/** The kstatus condition types that kubectl wait, Argo CD and Flux understand without custom code. */
export const ConditionType = { Ready: "Ready", Reconciling: "Reconciling", Stalled: "Stalled" } as const;

export const ConditionStatusSchema = z.enum(["True", "False", "Unknown"]);
export type ConditionStatus = z.infer<typeof ConditionStatusSchema>;

/** metav1.Condition, with the validation upstream Kubernetes declares for it. */
export const ConditionSchema = z.strictObject({
  type: z
    .string()
    .max(316)
    .regex(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
      "must be a CamelCase condition type, optionally prefixed with a DNS subdomain and '/'",
    )
    .describe("Type of condition in CamelCase: Ready, Reconciling, Stalled, or a detail condition."),
  status: ConditionStatusSchema,
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe("The .metadata.generation the condition was computed from."),
  lastTransitionTime: z.iso.datetime().describe("When the status last changed."),
  reason: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, "must be a CamelCase reason such as DeploymentReady")
    .describe("CamelCase reason for the last transition."),
  message: z.string().max(32768).describe("Human-readable detail of the last transition; may be empty."),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const ConditionsSchema = listMapBy(z.array(ConditionSchema).max(32), "type").describe(
  "Conditions in kstatus style: Ready, Reconciling and Stalled, each with observedGeneration.",
);
