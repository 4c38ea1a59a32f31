import { createHash } from "node:crypto";
import {
  AGENT_CONTAINER,
  AGENT_ENV,
  ANNOTATION_WARM_TEMPLATE,
  BINDING_ENV,
  COMPONENT,
  GIT_CONTAINER,
  GIT_CONTAINER_ARGS,
  isOperatorEnv,
  LABEL_COMPONENT,
  LABEL_WARM_MEMBER,
  MOUNT_PATH,
  orgLabels,
  STARTED_FILE,
  warmMemberNames,
} from "../../schema/contract/index.ts";
import type { Org } from "../../schema/index.ts";
import { orgNamespace } from "../../schema/index.ts";
import { AGENT_HOME } from "../../schema/presets.ts";
import { DEFAULT_AGENT_IMAGE, EDITOR_PORT } from "./images.ts";
import { type KubeObject, type OwnerReference, ownerReference } from "./object.ts";
import {
  AGENT_TOKEN_VOLUME,
  agentImage,
  DEFAULT_AGENT_RESOURCES,
  editorContainer,
  GIT_CREDENTIALS_DIR,
  GIT_RESOURCES,
  podShell,
  presetEnv,
  RESTRICTED_CONTAINER,
  resources,
  SA_DIR,
  type TaskRenderOptions,
} from "./task.ts";

export type MemberRenderOptions = Pick<TaskRenderOptions, "remote" | "agentImage" | "editorImage">;

/**
 * A member's objects in the order they are made: `before` its pod (the API server admits a pod only
 * with its ServiceAccount, and its editor starts only with its Secret), the pod, and `after` it,
 * owned by the pod so that the garbage collector takes them with it.
 */
export interface RenderedMember {
  before: KubeObject[];
  pod: KubeObject;
  after: (pod: OwnerReference) => KubeObject[];
}

const value = (name: string, v: string) => ({ name, value: v });

/**
 * The member's agent container: the Org's image, resources and preset, waiting for its binding.
 * Only what the Org decides is in its environment; the task's variables, and the task's env over the
 * Org's, arrive with the binding.
 */
function memberAgent(org: Org, binding: string, opts: MemberRenderOptions) {
  const user = org.spec.agent.env.filter((e) => !isOperatorEnv(e.name));
  const overridden = new Set(user.map((e) => e.name));
  const mounts = [
    { name: "workspace", mountPath: MOUNT_PATH.workspace },
    { name: "state", mountPath: MOUNT_PATH.state },
    { name: "tmp", mountPath: "/tmp" },
    { name: "agent-token", mountPath: SA_DIR, readOnly: true },
    { name: "git-handoff", mountPath: MOUNT_PATH.gitHandoff },
  ];
  if (org.spec.agent.preset) mounts.push({ name: "agent-home", mountPath: AGENT_HOME });
  return {
    name: AGENT_CONTAINER,
    image: agentImage(undefined, org, opts.agentImage),
    ...(org.spec.agent.args ? { args: org.spec.agent.args } : {}),
    env: [
      value(BINDING_ENV, binding),
      value(AGENT_ENV.namespace.name, orgNamespace(org)),
      value(AGENT_ENV.stateDir.name, MOUNT_PATH.state),
      value(AGENT_ENV.workspace.name, MOUNT_PATH.workspace),
      value(AGENT_ENV.gitHandoff.name, MOUNT_PATH.gitHandoff),
      ...(org.spec.editor.enabled
        ? [value(AGENT_ENV.editorUrl.name, `http://127.0.0.1:${EDITOR_PORT}`)]
        : []),
      ...presetEnv(org).filter((e) => !overridden.has(e.name)),
      ...user.map((e) =>
        value(
          e.name,
          e.value.replaceAll("$", () => "$$"),
        ),
      ),
    ],
    resources: resources(org.spec.agent.resources ?? DEFAULT_AGENT_RESOURCES),
    volumeMounts: mounts,
    readinessProbe: {
      exec: { command: ["test", "-f", `${MOUNT_PATH.state}/${STARTED_FILE}`] },
      periodSeconds: 5,
    },
    securityContext: RESTRICTED_CONTAINER,
  };
}

/**
 * The member's git container: every member has one, since the task it binds may name a repository
 * of its own. It mounts the Org's git credentials (it is the runtime's own image, running none of the
 * task's code) and the member's token, to read its binding; the binding says whether this task's
 * repository gets the credentials, as a cold pod's mounts would.
 */
function memberGit(org: Org, binding: string, opts: MemberRenderOptions) {
  const mounts = [
    { name: "workspace", mountPath: MOUNT_PATH.workspace },
    { name: "git-handoff", mountPath: MOUNT_PATH.gitHandoff },
    { name: "git-home", mountPath: MOUNT_PATH.gitHome },
    { name: "git-tmp", mountPath: "/tmp" },
    { name: "agent-token", mountPath: SA_DIR, readOnly: true },
  ];
  if (org.spec.git?.credentialsSecretRef) {
    mounts.push({ name: "git-credentials", mountPath: GIT_CREDENTIALS_DIR, readOnly: true });
  }
  return {
    name: GIT_CONTAINER,
    image: opts.agentImage ?? DEFAULT_AGENT_IMAGE,
    args: [...GIT_CONTAINER_ARGS],
    env: [
      value(BINDING_ENV, binding),
      value(AGENT_ENV.namespace.name, orgNamespace(org)),
      value(AGENT_ENV.workspace.name, MOUNT_PATH.workspace),
      value(AGENT_ENV.gitHandoff.name, MOUNT_PATH.gitHandoff),
      value(AGENT_ENV.gitHome.name, MOUNT_PATH.gitHome),
      ...(org.spec.git?.credentialsSecretRef
        ? [value(AGENT_ENV.gitCredentials.name, GIT_CREDENTIALS_DIR)]
        : []),
    ],
    resources: resources(GIT_RESOURCES),
    volumeMounts: mounts,
    securityContext: RESTRICTED_CONTAINER,
  };
}

function memberVolumes(org: Org): Record<string, unknown>[] {
  const vols: Record<string, unknown>[] = [
    { name: "workspace", emptyDir: {} },
    { name: "state", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
    AGENT_TOKEN_VOLUME,
    { name: "git-handoff", emptyDir: {} },
    { name: "git-home", emptyDir: {} },
    { name: "git-tmp", emptyDir: {} },
  ];
  if (org.spec.editor.enabled) vols.push({ name: "editor-home", emptyDir: {} });
  if (org.spec.agent.preset) vols.push({ name: "agent-home", emptyDir: {} });
  const git = org.spec.git?.credentialsSecretRef;
  if (git) vols.push({ name: "git-credentials", secret: { secretName: git.name, defaultMode: 0o440 } });
  return vols;
}

/** The member pod's spec; every name in it is the member's, so members of one template differ only there. */
function memberPodSpec(org: Org, member: string, opts: MemberRenderOptions): Record<string, unknown> {
  const names = warmMemberNames(member);
  const containers: Record<string, unknown>[] = [memberAgent(org, names.binding, opts)];
  if (org.spec.editor.enabled) containers.push(editorContainer(org, opts, names.editorSecret));
  containers.push(memberGit(org, names.binding, opts));
  return { ...podShell(org, names.serviceAccount, containers, memberVolumes(org)), restartPolicy: "Always" };
}

/** The name every member's spec is hashed under, so that the hash is the template's, not a member's. */
const TEMPLATE_MEMBER = "member";

/**
 * The hash of the pod the Org's template gives a member now: a member annotated with another one
 * was made from an older Org spec or operator image, and is replaced while idle.
 */
export function warmTemplateHash(org: Org, opts: MemberRenderOptions): string {
  const spec = memberPodSpec(org, TEMPLATE_MEMBER, opts);
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 16);
}

/**
 * One pool member of the Org: its pod, its own ServiceAccount (which may read its binding and
 * nothing else until a task's RoleBinding names it), its editor's password, and its empty binding.
 */
export function renderWarmMember(
  org: Org,
  member: string,
  editorPassword: string,
  opts: MemberRenderOptions,
): RenderedMember {
  const namespace = orgNamespace(org);
  const names = warmMemberNames(member);
  const labels = { ...orgLabels(org.metadata.name as string), [LABEL_WARM_MEMBER]: member };
  // The Org owns its idle members in its own cluster; in another, labels find them.
  const orgOwner = opts.remote
    ? {}
    : { ownerReferences: [{ ...ownerReference(org), blockOwnerDeletion: false }] };
  const meta = (name: string, component: string) => ({
    name,
    namespace,
    labels: { ...labels, [LABEL_COMPONENT]: component },
  });
  const before: KubeObject[] = [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(names.serviceAccount, COMPONENT.warm),
      automountServiceAccountToken: false,
    },
  ];
  if (org.spec.editor.enabled) {
    before.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(names.editorSecret, COMPONENT.warm),
      type: "Opaque",
      data: { password: Buffer.from(editorPassword).toString("base64") },
    });
  }
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...meta(names.pod, COMPONENT.warm),
      annotations: { [ANNOTATION_WARM_TEMPLATE]: warmTemplateHash(org, opts) },
      ...orgOwner,
    },
    spec: memberPodSpec(org, member, opts),
  };
  const after = (owner: OwnerReference): KubeObject[] => {
    const owned = (name: string) => ({
      ...meta(name, COMPONENT.warm),
      ownerReferences: [{ ...owner, controller: false, blockOwnerDeletion: false }],
    });
    return [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: owned(names.binding),
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: owned(names.role),
        rules: [
          {
            apiGroups: [""],
            resources: ["configmaps"],
            resourceNames: [names.binding],
            verbs: ["get", "list", "watch"],
          },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: owned(names.roleBinding),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.role },
        subjects: [{ kind: "ServiceAccount", name: names.serviceAccount, namespace }],
      },
    ];
  };
  return { before, pod, after };
}

/** The owner reference of a created member pod, for the objects made after it. */
export function podOwner(pod: { metadata?: { name?: string; uid?: string } }): OwnerReference {
  return {
    apiVersion: "v1",
    kind: "Pod",
    name: pod.metadata?.name as string,
    uid: pod.metadata?.uid as string,
    controller: false,
    blockOwnerDeletion: false,
  };
}
