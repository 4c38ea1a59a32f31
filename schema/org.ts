import { z } from "zod";
import { AgentDefaultsSchema } from "./agent.ts";
import { API_VERSION, ORG_KIND } from "./api.ts";
import { TAILNET_AUTH_KEY } from "./contract/agent-pod.ts";
import { duration } from "./duration.ts";
import { defaultedObject, listSet, withRules, withTransitionRules } from "./extensions.ts";
import {
  boundedString,
  DNS_LABEL,
  dnsLabel,
  dnsSubdomain,
  gitBranch,
  hostnamePattern,
  image,
  matching,
  presence,
  repoUrl,
  secretKey,
  tailscaleTag,
} from "./formats.ts";
import { ConditionsSchema, objectMeta } from "./meta.ts";
import { NetworkSchema } from "./network.ts";
import { orgSecretRef } from "./org-secret-ref.ts";
import { TaskCountsSchema } from "./phase.ts";
import { ForgeSchema, PullRequestsSchema } from "./pull-request.ts";
import { quantity } from "./quantity.ts";

/** An Org without spec.namespace runs its tasks in org-<name>. */
export const DEFAULT_NAMESPACE_PREFIX = "org-";
const MAX_NAME_WITH_DEFAULT_NAMESPACE = 63 - DEFAULT_NAMESPACE_PREFIX.length;

export function orgNamespace(org: { metadata: { name?: string }; spec: { namespace?: string } }): string {
  return org.spec.namespace ?? `${DEFAULT_NAMESPACE_PREFIX}${org.metadata.name}`;
}

export const SecretKeyRefSchema = z.strictObject(
  {
    name: dnsSubdomain().describe("Name of the Secret."),
    namespace: dnsLabel().describe("Namespace of the Secret, in the management cluster."),
    key: secretKey()
      .default("value")
      .describe("Key in the Secret's data; Cluster API writes kubeconfigs under 'value'."),
  },
  { error: presence("an object") },
);
export type SecretKeyRef = z.infer<typeof SecretKeyRefSchema>;

export const RepoSchema = z
  .strictObject({
    url: repoUrl().describe("Git URL of the repository."),
    branch: gitBranch()
      .default("main")
      .describe("Branch the agent starts from and opens its pull request against."),
  })
  .describe("The repository tasks work on when they name none.");
export type Repo = z.infer<typeof RepoSchema>;

const EditorSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Run code-server beside the agent."),
    image: image().optional().describe("Container image of the editor; the operator's default when omitted."),
    idleTimeout: duration("1m", "720h")
      .optional()
      .describe("Stop the editor after this long without activity; never when omitted."),
  })
  .describe("The code-server editor that runs beside each agent.");

/** A control server's URL as tailscale up takes it: no credentials, no spaces (it is one of TS_EXTRA_ARGS). */
const LOGIN_SERVER = /^https?:\/\/[^\s/@?#]+(\/[^\s?#@]*)?$/;

const MeshSchema = withRules(
  z
    .strictObject({
      provider: z
        .enum(["tailscale", "none"])
        .default("none")
        .describe("tailscale exposes each task's editor on the tailnet; none keeps it cluster-internal."),
      mode: z
        .enum(["annotation", "loadBalancer", "sidecar"])
        .default("annotation")
        .describe(
          "How the editor joins the tailnet: the Tailscale operator exposes the Service (tailscale.com/expose annotations, or loadBalancerClass: tailscale), or a tailscale container in the agent pod joins with the Org's pre-authorised key (sidecar: works with Headscale and any Tailscale-compatible control server).",
        ),
      hostnamePattern: hostnamePattern()
        .default("{org}-{task}")
        .describe("Tailnet hostname of a task's editor; {org} and {task} expand to the names."),
      tags: listSet(z.array(tailscaleTag()).max(16, "must have at most 16 entries"))
        .default([])
        .describe("ACL tags of the tailnet devices, e.g. tag:agents."),
      proxyClass: dnsSubdomain()
        .optional()
        .describe("Tailscale ProxyClass applied to the Tailscale operator's proxies."),
      tailnetDomain: dnsSubdomain()
        .optional()
        .describe(
          "MagicDNS suffix used to build editor URLs, e.g. tail1234.ts.net (Headscale: its dns.base_domain).",
        ),
      loginServer: matching(
        LOGIN_SERVER,
        2048,
        "must be the control server's URL, http(s)://host[:port][/path] without credentials, e.g. https://headscale.example.com",
      )
        .optional()
        .describe(
          "Control server the sidecars join (tailscale up --login-server), e.g. a Headscale; Tailscale's own when omitted.",
        ),
      authKeySecretRef: orgSecretRef(
        `Secret whose \`${TAILNET_AUTH_KEY}\` key is the pre-authorised key the sidecars join with (reusable; ephemeral, so that a node whose pod is gone leaves the tailnet; tagged, when tags are set).`,
      ).optional(),
    })
    .describe("How task editors are reached over a mesh network."),
  {
    rule: "self.provider == 'tailscale' || (self.mode == 'annotation' && size(self.tags) == 0 && !has(self.proxyClass) && !has(self.tailnetDomain) && !has(self.loginServer) && !has(self.authKeySecretRef))",
    message:
      "mode, tags, proxyClass, tailnetDomain, loginServer and authKeySecretRef apply only to provider tailscale: set provider: tailscale or remove them",
    fieldPath: ".provider",
    check: (mesh) =>
      mesh.provider === "tailscale" ||
      (mesh.mode === "annotation" &&
        mesh.tags.length === 0 &&
        mesh.proxyClass === undefined &&
        mesh.tailnetDomain === undefined &&
        mesh.loginServer === undefined &&
        mesh.authKeySecretRef === undefined),
  },
  {
    rule: "self.mode != 'sidecar' || (has(self.authKeySecretRef) && has(self.tailnetDomain))",
    message:
      "mode sidecar needs authKeySecretRef (the Secret with the pre-authorised key) and tailnetDomain (the tailnet's MagicDNS suffix, for the editor URLs)",
    fieldPath: ".mode",
    check: (mesh) =>
      mesh.mode !== "sidecar" || (mesh.authKeySecretRef !== undefined && mesh.tailnetDomain !== undefined),
  },
  {
    rule: "self.mode == 'sidecar' || (!has(self.loginServer) && !has(self.authKeySecretRef))",
    message:
      "loginServer and authKeySecretRef apply only to mode sidecar (the Tailscale operator has its own): set mode: sidecar or remove them",
    fieldPath: ".mode",
    check: (mesh) =>
      mesh.mode === "sidecar" || (mesh.loginServer === undefined && mesh.authKeySecretRef === undefined),
  },
  {
    rule: "self.mode != 'sidecar' || !has(self.proxyClass)",
    message: "proxyClass is the Tailscale operator's: it does not apply to mode sidecar; remove it",
    fieldPath: ".proxyClass",
    check: (mesh) => mesh.mode !== "sidecar" || mesh.proxyClass === undefined,
  },
);

const WorkspaceSchema = z
  .strictObject({
    storage: z
      .strictObject({
        size: quantity().describe("Size of each task's workspace volume, e.g. 10Gi."),
        storageClassName: dnsSubdomain()
          .optional()
          .describe("StorageClass of the volumes; the cluster's default StorageClass when omitted."),
        reclaimPolicy: z
          .enum(["Delete", "Retain"])
          .default("Delete")
          .describe(
            "Delete: the volume goes with its task. Retain: it stays when the task is deleted, for a person to recover or remove.",
          ),
      })
      .optional()
      .describe(
        "A PersistentVolumeClaim per task for /workspace instead of an emptyDir: the work survives suspend and resume, a retry and a new pod.",
      ),
  })
  .describe("Where each task's /workspace lives.");

/** Most members a pool keeps: each is a pod with its editor, waiting; more is a cluster's job, not a pool's. */
export const MAX_WARM_POOL_SIZE = 50;

const WarmPoolSchema = z
  .strictObject({
    size: z
      .int()
      .min(0, "must be at least 0")
      .max(MAX_WARM_POOL_SIZE, `must be at most ${MAX_WARM_POOL_SIZE}`)
      .describe(
        "Agent pods kept started with the Org's image, editor and settings but no task; a new task binds one instead of waiting for a pod, and the pool is refilled. 0 keeps none.",
      ),
  })
  .describe(
    "A pool of started agents a new task binds to (spec.agent.workload Pod only). A task with its own image or resources starts its own pod. Members of an older template are replaced while idle; quota counts bound members only, as tasks.",
  );

export const WARM_POOL_NEEDS_POD =
  "warmPool needs spec.agent.workload Pod: a pool member is a bare Pod the operator binds to its task";
export const WARM_POOL_WITH_STORAGE =
  "warmPool cannot be used with spec.workspace.storage: a task's workspace claim cannot be mounted into a pod that is already running";
export const WARM_POOL_WITH_SIDECAR =
  "warmPool cannot be used with mesh mode sidecar: a member joins the tailnet before its task, so its tailnet name could not be its task's";

type WarmPoolSpec = { warmPool?: { size: number } };
const pooled = (spec: WarmPoolSpec) => (spec.warmPool?.size ?? 0) > 0;

/** Whether the Org keeps a warm pool: its tasks' pods are known only once one is bound. */
export const keepsWarmPool = (org: { spec: WarmPoolSpec & { agent: { workload: string } } }): boolean =>
  org.spec.agent.workload === "Pod" && pooled(org.spec);
const WARM_POOL_CEL = "!has(self.warmPool) || self.warmPool.size == 0 || ";

const LimitsSchema = z
  .strictObject({
    maxConcurrentTasks: z
      .int()
      .min(1, "must be at least 1")
      .max(1000, "must be at most 1000")
      .default(5)
      .describe("Tasks of the Org that run at once; the rest wait in phase Queued."),
  })
  .describe("Limits on the Org's work.");

/** Namespaces of Kubernetes itself: no Org may take them, whatever the operator is told. */
export const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

const NAMESPACE_IMMUTABLE = "namespace cannot change: the Org's tasks live there; create a new Org instead";

export const OrgSpecSchema = withTransitionRules(
  withRules(
    z
      .strictObject(
        {
          namespace: withTransitionRules(
            withRules(dnsLabel(), {
              rule: `!(self in [${SYSTEM_NAMESPACES.map((n) => `'${n}'`).join(", ")}])`,
              message: `namespace must not be one of Kubernetes' own (${SYSTEM_NAMESPACES.join(", ")}): choose a namespace of the Org's own`,
              check: (ns) => !(SYSTEM_NAMESPACES as readonly string[]).includes(ns),
            }),
            { rule: "self == oldSelf", message: NAMESPACE_IMMUTABLE },
          )
            .optional()
            .describe(
              "Namespace of the Org's tasks and agents, in the Org's cluster. When omitted, org-<name>: consumers compute it with orgNamespace() from schema/ and the operator reports it in status.namespace.",
            ),
          cluster: z
            .strictObject({
              kubeconfigSecretRef: SecretKeyRefSchema.describe(
                "Secret holding a kubeconfig for the Org's cluster.",
              ),
            })
            .optional()
            .describe("The cluster that runs the Org's agents; the management cluster when omitted."),
          agent: AgentDefaultsSchema.prefault({}),
          repo: RepoSchema.optional(),
          git: z
            .strictObject({
              credentialsSecretRef: orgSecretRef(
                "Secret with the credentials the git container clones and pushes with: `token` (+ `username`) for https, `ssh-privatekey` (+ `known_hosts`) for ssh. Its `token` also opens the pull requests.",
              ),
              forge: ForgeSchema.optional(),
              pullRequests: defaultedObject(PullRequestsSchema),
            })
            .optional()
            .describe("Git access of the agents, and the pull requests they open."),
          editor: defaultedObject(EditorSchema),
          mesh: defaultedObject(MeshSchema),
          network: defaultedObject(NetworkSchema),
          workspace: defaultedObject(WorkspaceSchema),
          limits: defaultedObject(LimitsSchema),
          warmPool: WarmPoolSchema.optional(),
        },
        { error: presence("an object") },
      )
      .describe("Desired state of the Org."),
    {
      rule: `${WARM_POOL_CEL}self.agent.workload == 'Pod'`,
      message: WARM_POOL_NEEDS_POD,
      fieldPath: ".warmPool",
      check: (spec) => !pooled(spec) || spec.agent.workload === "Pod",
    },
    {
      rule: `${WARM_POOL_CEL}!has(self.workspace.storage)`,
      message: WARM_POOL_WITH_STORAGE,
      fieldPath: ".warmPool",
      check: (spec) => !pooled(spec) || spec.workspace.storage === undefined,
    },
    {
      rule: `${WARM_POOL_CEL}!(self.mesh.provider == 'tailscale' && self.mesh.mode == 'sidecar' && self.editor.enabled)`,
      message: WARM_POOL_WITH_SIDECAR,
      fieldPath: ".warmPool",
      check: (spec) =>
        !pooled(spec) ||
        !(spec.mesh.provider === "tailscale" && spec.mesh.mode === "sidecar" && spec.editor.enabled),
    },
  ),
  // Comparing the values here, not on the field, exceeds the API server's CEL cost estimate.
  {
    rule: "has(self.namespace) == has(oldSelf.namespace)",
    message: NAMESPACE_IMMUTABLE,
    fieldPath: ".namespace",
  },
);
export type OrgSpec = z.infer<typeof OrgSpecSchema>;
export type OrgSpecInput = z.input<typeof OrgSpecSchema>;

export const OrgStatusSchema = z
  .strictObject({
    observedGeneration: z.int().min(0).optional().describe("The .metadata.generation this status reflects."),
    conditions: ConditionsSchema.optional(),
    clusterReachable: z.boolean().optional().describe("Whether the operator reached the Org's cluster."),
    namespace: boundedString(63).optional().describe("The namespace in use: spec.namespace or its default."),
    cluster: boundedString(512)
      .optional()
      .describe("'local' for the management cluster, or the kubeconfig Secret as <namespace>/<name>."),
    tasks: TaskCountsSchema.optional().describe("How many of the Org's tasks are in each phase."),
    warmPool: z
      .strictObject({
        members: z.int().min(0).describe("Idle members of the current template, started or starting."),
        ready: z.int().min(0).describe("Idle members whose pod runs: what the next tasks bind at once."),
      })
      .optional()
      .describe("The Org's warm pool, when it keeps one."),
  })
  .describe("Observed state of the Org.");
export type OrgStatus = z.infer<typeof OrgStatusSchema>;

export const OrgSchema = withRules(
  z
    .strictObject({
      apiVersion: z.literal(API_VERSION),
      kind: z.literal(ORG_KIND),
      metadata: objectMeta(
        matching(
          DNS_LABEL,
          63,
          "Org names must be DNS-1123 labels: lowercase letters, digits and '-', at most 63; they become part of namespace and host names",
        ),
      ),
      spec: OrgSpecSchema,
      status: OrgStatusSchema.optional(),
    })
    .describe("An organization whose coding agents agentyard runs, in its own namespace or cluster."),
  {
    rule: `has(self.spec.namespace) || size(self.metadata.name) <= ${MAX_NAME_WITH_DEFAULT_NAMESPACE}`,
    message: `Org names are at most ${MAX_NAME_WITH_DEFAULT_NAMESPACE} characters unless spec.namespace is set, so that the default namespace ${DEFAULT_NAMESPACE_PREFIX}<name> fits in 63`,
    fieldPath: ".metadata.name",
    check: (org) =>
      org.spec.namespace !== undefined || (org.metadata.name?.length ?? 0) <= MAX_NAME_WITH_DEFAULT_NAMESPACE,
  },
);
export type Org = z.infer<typeof OrgSchema>;
export type OrgInput = z.input<typeof OrgSchema>;
