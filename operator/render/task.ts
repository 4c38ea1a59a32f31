import {
  AGENT_CONTAINER,
  AGENT_ENV,
  type AgentEnv,
  ANNOTATION_ATTEMPT,
  ANNOTATION_RECLAIM_POLICY,
  agentEnvRecord,
  agentEnvVars,
  agentPodName,
  agentSelector,
  BINDING_KEY,
  COMPONENT,
  credentialOrigin,
  EDITOR_CONTAINER,
  EDITOR_PORT_NAME,
  GIT_CONTAINER,
  GIT_CONTAINER_ARGS,
  type GitContainerEnv,
  gitContainerEnvVars,
  isOperatorEnv,
  LABEL_COMPONENT,
  LABEL_WARM_MEMBER,
  MOUNT_PATH,
  type PullRequestConfig,
  STARTED_FILE,
  TAILNET_AUTH_KEY,
  TAILSCALE_CONTAINER,
  tailnetHostname,
  taskChildNames,
  taskLabels,
  warmMemberNames,
} from "../../schema/contract/index.ts";
import type { AgentTask, EnvVar, Org, Resources } from "../../schema/index.ts";
import { orgNamespace } from "../../schema/index.ts";
import { AGENT_HOME, AGENT_PRESETS, presetHomeFiles } from "../../schema/presets.ts";
import {
  DEFAULT_AGENT_IMAGE,
  DEFAULT_EDITOR_IMAGE,
  DEFAULT_TAILSCALE_IMAGE,
  EDITOR_PORT,
  presetImage,
} from "./images.ts";
import { type KubeObject, ownerReference } from "./object.ts";
import { renderService } from "./service.ts";

export interface TaskRenderOptions {
  /** The attempt the pod runs; a new attempt rolls the Deployment's pod, or names a new bare Pod. */
  attempt: number;
  /** Whether the agent should run (false once cancelled or timed out: the Deployment scales to 0, a bare Pod is not rendered). */
  running: boolean;
  /** code-server's password, kept in the task's Secret; generated once by the reconciler. */
  editorPassword: string;
  /** Children in the management cluster get owner references; in an Org's own cluster, labels only. */
  remote: boolean;
  /**
   * The task's workspace claim as it exists: a claim's class cannot change and its size only grows
   * where its class allows, so a changed Org reaches new tasks' claims and leaves existing ones be.
   */
  workspaceClaim?: { size?: string | number; storageClassName?: string };
  /**
   * The warm pool member the task is bound to (its pod carries the task's labels): no pod is
   * rendered, the member's ServiceAccount may write the task's state, and its binding says the task.
   */
  warmMember?: string;
  agentImage?: string;
  editorImage?: string;
  tailscaleImage?: string;
}

export const GIT_CREDENTIALS_DIR = "/var/run/agentyard/git";
export const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const USER_ID = 1000;

export const DEFAULT_AGENT_RESOURCES: Resources = {
  requests: { cpu: "250m", memory: "512Mi" },
  limits: { memory: "4Gi" },
};
/** git's clone and push: a pack of a large repository takes memory for a while. */
export const GIT_RESOURCES: Resources = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { memory: "1Gi" },
};
const EDITOR_RESOURCES: Resources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } };
const TAILSCALE_RESOURCES: Resources = {
  requests: { cpu: "20m", memory: "64Mi" },
  limits: { memory: "256Mi" },
};

/** What PodSecurity `restricted` asks of every container. */
export const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/** The task's effective repository: its own, or the Org's; a task naming another URL starts from main. */
export function effectiveRepo(task: AgentTask, org: Org): { url: string; branch: string } | undefined {
  const own = task.spec.repo;
  const orgRepo = org.spec.repo;
  const url = own?.url ?? orgRepo?.url;
  if (!url) return undefined;
  const sameAsOrg = orgRepo !== undefined && url === orgRepo.url;
  const branch = own?.branch ?? (sameAsOrg ? orgRepo.branch : "main");
  return { url, branch };
}

/**
 * The Org's git Secret, when the task's repository is where the Org's credentials belong: the host
 * of the Org's spec.repo or of its forge's API. A task may name another repository, but the Org's
 * token goes to no server a task chose (it would be that server's to keep); there the git container
 * clones and pushes without credentials.
 */
export function taskGitCredentials(task: AgentTask, org: Org): { name: string } | undefined {
  const ref = org.spec.git?.credentialsSecretRef;
  const repo = effectiveRepo(task, org);
  if (!ref || !repo) return undefined;
  const origin = credentialOrigin(repo.url);
  const trusted = [org.spec.repo?.url, org.spec.git?.forge?.apiUrl].map(
    (url) => url && credentialOrigin(url),
  );
  return origin !== undefined && trusted.includes(origin) ? ref : undefined;
}

/** The Org's env with the task's entries merged over it by name. */
export function mergeEnv(base: EnvVar[], overrides: EnvVar[] | undefined): EnvVar[] {
  const merged = new Map(base.map((e) => [e.name, e.value]));
  for (const e of overrides ?? []) merged.set(e.name, e.value);
  return [...merged].map(([name, value]) => ({ name, value }));
}

/**
 * The image a task chose for itself, when its Org lets tasks choose: a task of an Org that does not
 * is Stalled before anything renders, and its choice is never used.
 */
export function taskImage(task: AgentTask, org: Org): string | undefined {
  return org.spec.agent.allowImageOverride ? task.spec.agent?.image : undefined;
}

/**
 * The command the runtime runs: the task's own, else the Org's preset's command line (the runtime
 * appends the prompt to it) or the Org's command. A task's command replaces the preset's whole
 * command line, prompt included, in the preset's image and environment.
 */
export function agentCommand(task: AgentTask, org: Org): string[] | undefined {
  if (task.spec.command) return task.spec.command;
  const preset = org.spec.agent.preset;
  return preset ? [...AGENT_PRESETS[preset].command] : org.spec.agent.command;
}

/** The argument that carries the prompt, when the runtime passes it to the command: a preset's own command line. */
export function promptArgument(task: AgentTask, org: Org): string | undefined {
  const preset = org.spec.agent.preset;
  return task.spec.command === undefined && preset ? AGENT_PRESETS[preset].promptArgument : undefined;
}

/** The preset's files for the CLI's HOME, as the runtime reads them. */
export function homeFilesOf(org: Org): string | undefined {
  const { preset, baseUrl } = org.spec.agent;
  const files = preset ? presetHomeFiles(preset, baseUrl) : {};
  return Object.keys(files).length > 0 ? JSON.stringify(files) : undefined;
}

/** A container env entry: a value, or a key of a Secret. */
export type ContainerEnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional: boolean } } };

/**
 * What the Org's preset needs in the agent container: a writable HOME, the CLI's own settings, the
 * gateway's base URL, and each key it documents from the Org's credentials Secret (optional: a
 * Secret holds the keys of the provider it uses). The Org's and the task's env override any of them.
 */
export function presetEnv(org: Org): ContainerEnvVar[] {
  const { preset, baseUrl, credentialsSecretRef } = org.spec.agent;
  if (!preset) return [];
  const spec = AGENT_PRESETS[preset];
  const env: ContainerEnvVar[] = [
    { name: "HOME", value: AGENT_HOME },
    ...Object.entries(spec.env).map(([name, value]) => ({ name, value })),
  ];
  if (baseUrl && "variable" in spec.baseUrl) env.push({ name: spec.baseUrl.variable, value: baseUrl });
  if (credentialsSecretRef) {
    for (const key of spec.credentials) {
      env.push({
        name: key,
        valueFrom: { secretKeyRef: { name: credentialsSecretRef.name, key, optional: true } },
      });
    }
  }
  return env;
}

/** The agent container's image: the task's own, the Org's, or the operator's (its preset variant). */
export function agentImage(task: AgentTask | undefined, org: Org, operatorImage: string | undefined): string {
  const chosen = (task && taskImage(task, org)) ?? org.spec.agent.image;
  if (chosen) return chosen;
  const base = operatorImage ?? DEFAULT_AGENT_IMAGE;
  const preset = org.spec.agent.preset;
  return preset ? presetImage(base, preset) : base;
}

/**
 * The runtime's variables. spec.timeout is not among them: the operator enforces it by stopping the
 * pod, and a runtime that stopped itself first would turn a TimedOut task into a Failed one.
 */
export function operatorEnv(task: AgentTask, org: Org, attempt: number): { name: string; value: string }[] {
  return agentEnvVars(operatorEnvValues(task, org, attempt));
}

function operatorEnvValues(task: AgentTask, org: Org, attempt: number): AgentEnv {
  const repo = effectiveRepo(task, org);
  const command = agentCommand(task, org);
  return {
    task: task.metadata.name as string,
    org: org.metadata.name as string,
    namespace: orgNamespace(org),
    attempt: String(attempt),
    prompt: task.spec.prompt,
    stateConfigMap: taskChildNames(task.metadata.name as string).stateConfigMap,
    stateDir: MOUNT_PATH.state,
    workspace: MOUNT_PATH.workspace,
    repoUrl: repo?.url,
    repoBranch: repo?.branch,
    command: command ? JSON.stringify(command) : undefined,
    promptArgument: promptArgument(task, org),
    homeFiles: homeFilesOf(org),
    // The git container holds the credentials and does every clone and push: the agent has none.
    gitCredentials: undefined,
    gitHandoff: repo ? MOUNT_PATH.gitHandoff : undefined,
    gitHome: undefined,
    pullRequest: undefined,
    editorUrl: org.spec.editor.enabled ? `http://127.0.0.1:${EDITOR_PORT}` : undefined,
  };
}

/** The git container's variables: the repository, its credentials, and its folders. */
export function gitContainerEnv(
  task: AgentTask,
  org: Org,
  attempt: number,
  repo: { url: string; branch: string },
) {
  return gitContainerEnvVars(gitContainerEnvValues(task, org, attempt, repo));
}

function gitContainerEnvValues(
  task: AgentTask,
  org: Org,
  attempt: number,
  repo: { url: string; branch: string },
): GitContainerEnv {
  return {
    task: task.metadata.name as string,
    org: org.metadata.name as string,
    attempt: String(attempt),
    workspace: MOUNT_PATH.workspace,
    repoUrl: repo.url,
    repoBranch: repo.branch,
    gitCredentials: taskGitCredentials(task, org) ? GIT_CREDENTIALS_DIR : undefined,
    gitHandoff: MOUNT_PATH.gitHandoff,
    gitHome: MOUNT_PATH.gitHome,
    pullRequest: pullRequestConfigEnv(task, org),
  };
}

/**
 * What a warm pool member bound to the task is told (warm-pool.ts): the variables a pod made for
 * the task would have had in each runtime container, the Org's and the task's own env included —
 * but for its folders and the editor's address, which are the member pod's own (in its spec, where
 * a node that runs containers as host processes rewrites them), and the credentials folder, which
 * the member's git container has and an empty value withholds from a task whose repository is not
 * where the Org's credentials belong.
 */
export function bindingData(task: AgentTask, org: Org, attempt: number): Record<string, string> {
  const user = Object.fromEntries(userEnv(task, org).map((e) => [e.name, e.value]));
  const repo = effectiveRepo(task, org);
  const {
    stateDir: _s,
    workspace: _w,
    editorUrl: _e,
    gitHandoff: _h,
    ...agentValues
  } = operatorEnvValues(task, org, attempt);
  const agent = {
    ...agentEnvRecord(agentValues),
    // The member's pod names its handoff folder; a task without a repository has no git container to hand off to.
    ...(repo ? {} : { [AGENT_ENV.gitHandoff.name]: "" }),
    ...user,
  };
  let git: Record<string, string> = {};
  if (repo) {
    const {
      workspace: _,
      gitHandoff: _gh,
      gitHome: _g,
      gitCredentials,
      ...gitValues
    } = gitContainerEnvValues(task, org, attempt, repo);
    git = {
      ...agentEnvRecord(gitValues),
      ...(gitCredentials ? {} : { [AGENT_ENV.gitCredentials.name]: "" }),
    };
  }
  return { [BINDING_KEY.agent]: JSON.stringify(agent), [BINDING_KEY.git]: JSON.stringify(git) };
}

/**
 * The pull request the git container opens after each push: the Org's settings under the task's, or
 * none when the Org turned them off or the task gets no credentials (a forge's API takes no
 * anonymous writes).
 */
export function pullRequestConfig(task: AgentTask, org: Org): PullRequestConfig | undefined {
  const git = org.spec.git;
  if (!git?.pullRequests.enabled || !taskGitCredentials(task, org)) return undefined;
  const own = task.spec.pullRequest;
  const config: PullRequestConfig = {
    draft: own?.draft ?? git.pullRequests.draft,
    labels: own?.labels ?? git.pullRequests.labels,
    reviewers: own?.reviewers ?? git.pullRequests.reviewers,
  };
  return git.forge ? { forge: git.forge, ...config } : config;
}

function pullRequestConfigEnv(task: AgentTask, org: Org): string | undefined {
  const config = pullRequestConfig(task, org);
  return config && JSON.stringify(config);
}

/**
 * The Org's and the task's own variables, after the runtime's. The schemas refuse an env entry with an
 * operator-owned name; one that reaches here anyway (a CRD older than the rule) is dropped, including
 * names the operator leaves unset for this task, such as AGENTYARD_COMMAND.
 */
export function userEnv(task: AgentTask, org: Org): EnvVar[] {
  return mergeEnv(org.spec.agent.env, task.spec.agent?.env).filter((e) => !isOperatorEnv(e.name));
}

export function resources(r: Resources | undefined) {
  const out: Record<string, Record<string, string>> = {};
  for (const kind of ["requests", "limits"] as const) {
    const list = r?.[kind];
    if (!list) continue;
    const entries = Object.entries(list).filter((e): e is [string, string] => e[1] !== undefined);
    if (entries.length > 0) out[kind] = Object.fromEntries(entries);
  }
  return out;
}

function agentContainer(task: AgentTask, org: Org, opts: TaskRenderOptions) {
  const mounts = [
    workspaceMount(org),
    { name: "state", mountPath: MOUNT_PATH.state },
    { name: "tmp", mountPath: "/tmp" },
    { name: "agent-token", mountPath: SA_DIR, readOnly: true },
  ];
  if (effectiveRepo(task, org)) mounts.push({ name: "git-handoff", mountPath: MOUNT_PATH.gitHandoff });
  if (org.spec.agent.preset) mounts.push({ name: "agent-home", mountPath: AGENT_HOME });
  const own = taskImage(task, org);
  const user = userEnv(task, org);
  const overridden = new Set(user.map((e) => e.name));
  return {
    name: AGENT_CONTAINER,
    image: agentImage(task, org, opts.agentImage),
    // A node runs any image it has cached; Always makes it check this Org's right to pull.
    ...(own ? { imagePullPolicy: "Always" } : {}),
    ...(org.spec.agent.args ? { args: org.spec.agent.args } : {}),
    env: [
      ...operatorEnv(task, org, opts.attempt),
      ...presetEnv(org).filter((e) => !overridden.has(e.name)),
      ...user,
    ],
    resources: resources(task.spec.agent?.resources ?? org.spec.agent.resources ?? DEFAULT_AGENT_RESOURCES),
    volumeMounts: mounts,
    // The runtime writes this file once it has cloned the repository and started the task.
    readinessProbe: {
      exec: { command: ["test", "-f", `${MOUNT_PATH.state}/${STARTED_FILE}`] },
      periodSeconds: 5,
    },
    securityContext: RESTRICTED_CONTAINER,
  };
}

/**
 * The git container: agentyard's own runtime image, never the Org's or the task's (an image of theirs
 * could carry a git that sends the token elsewhere), the only container that mounts the credentials;
 * it shares the workspace and the handoff folder with the agent, nothing else, and runs none of the
 * task's code.
 */
function gitContainer(
  task: AgentTask,
  org: Org,
  opts: TaskRenderOptions,
  repo: { url: string; branch: string },
) {
  const mounts: { name: string; mountPath: string; readOnly?: boolean }[] = [
    workspaceMount(org),
    { name: "git-handoff", mountPath: MOUNT_PATH.gitHandoff },
    { name: "git-home", mountPath: MOUNT_PATH.gitHome },
    { name: "git-tmp", mountPath: "/tmp" },
  ];
  if (taskGitCredentials(task, org)) {
    mounts.push({ name: "git-credentials", mountPath: GIT_CREDENTIALS_DIR, readOnly: true });
  }
  return {
    name: GIT_CONTAINER,
    image: opts.agentImage ?? DEFAULT_AGENT_IMAGE,
    args: [...GIT_CONTAINER_ARGS],
    env: gitContainerEnv(task, org, opts.attempt, repo),
    resources: resources(GIT_RESOURCES),
    volumeMounts: mounts,
    securityContext: RESTRICTED_CONTAINER,
  };
}

export function editorContainer(org: Org, opts: Pick<TaskRenderOptions, "editorImage">, secretName: string) {
  return {
    name: EDITOR_CONTAINER,
    image: org.spec.editor.image ?? opts.editorImage ?? DEFAULT_EDITOR_IMAGE,
    args: [
      "--bind-addr",
      `0.0.0.0:${EDITOR_PORT}`,
      "--auth",
      "password",
      "--disable-telemetry",
      "--disable-update-check",
      MOUNT_PATH.workspace,
    ],
    env: [
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "password" } } },
      { name: "HOME", value: "/home/coder" },
    ],
    ports: [{ name: EDITOR_PORT_NAME, containerPort: EDITOR_PORT, protocol: "TCP" }],
    resources: resources(EDITOR_RESOURCES),
    volumeMounts: [
      workspaceMount(org),
      { name: "editor-home", mountPath: "/home/coder" },
      { name: "tmp", mountPath: "/tmp" },
    ],
    readinessProbe: { httpGet: { path: "/healthz", port: EDITOR_PORT_NAME }, periodSeconds: 10 },
    securityContext: RESTRICTED_CONTAINER,
  };
}

/** Whether the Org's editors join the tailnet through a tailscale container in the agent pod. */
export function tailnetSidecar(org: Org): boolean {
  return (
    org.spec.mesh.provider === "tailscale" && org.spec.mesh.mode === "sidecar" && org.spec.editor.enabled
  );
}

/** Where containerboot finds its serve config: the editor Secret's SERVE_CONFIG_KEY, mounted alone. */
const SERVE_CONFIG_DIR = "/etc/tailscale-serve";
export const SERVE_CONFIG_KEY = "serve.json";
export const TAILNET_HEALTH_PORT = 9002;
const TAILNET_HEALTH_PORT_NAME = "tailnet-health";

/** tailscale serve's config: the node's EDITOR_PORT forwards to the editor's, inside the pod. */
export function serveConfig(): string {
  return JSON.stringify({ TCP: { [String(EDITOR_PORT)]: { TCPForward: `127.0.0.1:${EDITOR_PORT}` } } });
}

/**
 * The tailscale container: containerboot in userspace networking (no TUN, no NET_ADMIN: PodSecurity
 * restricted holds), joining as the task's tailnet hostname with the Org's pre-authorised key and
 * publishing the editor's port. Its node state lives in an emptyDir, so a new pod is a new node;
 * TS_KUBE_SECRET is empty because the pod has no API token to keep state in a Secret with.
 */
function tailscaleContainer(task: AgentTask, org: Org, opts: TaskRenderOptions) {
  const mesh = org.spec.mesh;
  const keySecret = mesh.authKeySecretRef?.name as string;
  const extraArgs = [
    ...(mesh.loginServer ? [`--login-server=${mesh.loginServer}`] : []),
    ...(mesh.tags.length > 0 ? [`--advertise-tags=${mesh.tags.join(",")}`] : []),
  ];
  return {
    name: TAILSCALE_CONTAINER,
    image: opts.tailscaleImage ?? DEFAULT_TAILSCALE_IMAGE,
    env: [
      { name: "TS_AUTHKEY", valueFrom: { secretKeyRef: { name: keySecret, key: TAILNET_AUTH_KEY } } },
      { name: "TS_HOSTNAME", value: tailnetHostname(task, org) },
      ...(extraArgs.length > 0 ? [{ name: "TS_EXTRA_ARGS", value: extraArgs.join(" ") }] : []),
      { name: "TS_USERSPACE", value: "true" },
      { name: "TS_KUBE_SECRET", value: "" },
      { name: "TS_STATE_DIR", value: "/var/lib/tailscale" },
      { name: "TS_SOCKET", value: "/tmp/tailscaled.sock" },
      { name: "TS_SERVE_CONFIG", value: `${SERVE_CONFIG_DIR}/${SERVE_CONFIG_KEY}` },
      { name: "TS_ENABLE_HEALTH_CHECK", value: "true" },
      { name: "TS_LOCAL_ADDR_PORT", value: `[::]:${TAILNET_HEALTH_PORT}` },
    ],
    ports: [{ name: TAILNET_HEALTH_PORT_NAME, containerPort: TAILNET_HEALTH_PORT, protocol: "TCP" }],
    resources: resources(TAILSCALE_RESOURCES),
    volumeMounts: [
      { name: "tailscale-state", mountPath: "/var/lib/tailscale" },
      { name: "tailscale-tmp", mountPath: "/tmp" },
      { name: "tailscale-serve", mountPath: SERVE_CONFIG_DIR, readOnly: true },
    ],
    // Healthy once the node has a tailnet address: the task's TailnetReady condition reads it.
    readinessProbe: { httpGet: { path: "/healthz", port: TAILNET_HEALTH_PORT_NAME }, periodSeconds: 5 },
    securityContext: RESTRICTED_CONTAINER,
  };
}

/**
 * Where /workspace is mounted from: a folder of the claim, not its root, which a file system may
 * hold files of its own in (ext4's lost+found), while the agent clones only into an empty folder.
 */
const WORKSPACE_SUBPATH = "workspace";

function workspaceMount(org: Org): { name: string; mountPath: string; subPath?: string } {
  const mount = { name: "workspace", mountPath: MOUNT_PATH.workspace };
  return org.spec.workspace.storage ? { ...mount, subPath: WORKSPACE_SUBPATH } : mount;
}

/** Only the runtime's containers mount this token; the editor gets none (automount is off). */
export const AGENT_TOKEN_VOLUME = {
  name: "agent-token",
  projected: {
    sources: [
      { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
    ],
  },
};

/** The task's /workspace: its own claim when the Org keeps workspaces, an emptyDir otherwise. */
function workspaceVolume(task: AgentTask, org: Org): Record<string, unknown> {
  if (!org.spec.workspace.storage) return { name: "workspace", emptyDir: {} };
  const claimName = taskChildNames(task.metadata.name as string).workspace;
  return { name: "workspace", persistentVolumeClaim: { claimName } };
}

/**
 * The task's workspace claim. One pod at a time mounts it (the Deployment is Recreate, a bare pod is
 * made only when the last is gone), so ReadWriteOnce does. A claim the Org retains has no owner
 * reference: the garbage collector would delete it with the task.
 */
function workspaceClaim(
  org: Org,
  metadata: KubeObject["metadata"],
  existing: TaskRenderOptions["workspaceClaim"],
): KubeObject | undefined {
  const storage = org.spec.workspace.storage;
  if (!storage) return undefined;
  const size = existing ? existing.size : storage.size;
  const storageClassName = existing ? existing.storageClassName : storage.storageClassName;
  const retained = storage.reclaimPolicy === "Retain";
  const { ownerReferences: _, ...unowned } = metadata;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      ...(retained ? unowned : metadata),
      annotations: { [ANNOTATION_RECLAIM_POLICY]: storage.reclaimPolicy },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      ...(size !== undefined ? { resources: { requests: { storage: size } } } : {}),
      ...(storageClassName ? { storageClassName } : {}),
    },
  };
}

function volumes(task: AgentTask, org: Org) {
  const vols: Record<string, unknown>[] = [
    workspaceVolume(task, org),
    { name: "state", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
    AGENT_TOKEN_VOLUME,
  ];
  if (org.spec.editor.enabled) vols.push({ name: "editor-home", emptyDir: {} });
  if (org.spec.agent.preset) vols.push({ name: "agent-home", emptyDir: {} });
  if (effectiveRepo(task, org)) {
    vols.push(
      { name: "git-handoff", emptyDir: {} },
      { name: "git-home", emptyDir: {} },
      { name: "git-tmp", emptyDir: {} },
    );
  }
  const git = taskGitCredentials(task, org);
  if (git) vols.push({ name: "git-credentials", secret: { secretName: git.name, defaultMode: 0o440 } });
  if (tailnetSidecar(org)) {
    vols.push(
      { name: "tailscale-state", emptyDir: {} },
      { name: "tailscale-tmp", emptyDir: {} },
      {
        name: "tailscale-serve",
        secret: {
          secretName: taskChildNames(task.metadata.name as string).editorSecret,
          items: [{ key: SERVE_CONFIG_KEY, path: SERVE_CONFIG_KEY }],
        },
      },
    );
  }
  return vols;
}

/** The agent pod's spec, the same whichever workload makes the pod. */
function podSpec(task: AgentTask, org: Org, opts: TaskRenderOptions): Record<string, unknown> {
  const containers: Record<string, unknown>[] = [agentContainer(task, org, opts)];
  const names = taskChildNames(task.metadata.name as string);
  if (org.spec.editor.enabled) containers.push(editorContainer(org, opts, names.editorSecret));
  const repo = effectiveRepo(task, org);
  if (repo) containers.push(gitContainer(task, org, opts, repo));
  if (tailnetSidecar(org)) containers.push(tailscaleContainer(task, org, opts));
  return podShell(org, names.serviceAccount, containers, volumes(task, org));
}

/** What every agent pod's spec holds around its containers and volumes. */
export function podShell(
  org: Org,
  serviceAccountName: string,
  containers: Record<string, unknown>[],
  podVolumes: Record<string, unknown>[],
): Record<string, unknown> {
  return {
    serviceAccountName,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: USER_ID,
      runAsGroup: USER_ID,
      fsGroup: USER_ID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    terminationGracePeriodSeconds: 30,
    ...(org.spec.agent.nodeSelector ? { nodeSelector: org.spec.agent.nodeSelector } : {}),
    ...(org.spec.agent.tolerations ? { tolerations: org.spec.agent.tolerations } : {}),
    ...(org.spec.agent.runtimeClassName ? { runtimeClassName: org.spec.agent.runtimeClassName } : {}),
    containers,
    volumes: podVolumes,
  };
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown>;
}

/** Every object a task needs in its Org's namespace; the agent's Deployment or Pod among them, never both. */
export function renderTask(task: AgentTask, org: Org, opts: TaskRenderOptions): KubeObject[] {
  const name = task.metadata.name as string;
  const orgName = org.metadata.name as string;
  const namespace = orgNamespace(org);
  const names = taskChildNames(name);
  const labels = taskLabels(orgName, name, task.metadata.uid);
  const owner = opts.remote ? {} : { ownerReferences: [ownerReference(task)] };
  const meta = (n: string, extra: Record<string, string> = {}) => ({
    name: n,
    namespace,
    labels: { ...labels, ...extra },
    ...owner,
  });

  const objects: KubeObject[] = [
    // The agent fills data; the operator owns only metadata, so applying never clobbers it.
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(names.stateConfigMap, { [LABEL_COMPONENT]: COMPONENT.state }),
    },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(names.serviceAccount, { [LABEL_COMPONENT]: COMPONENT.agent }),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: meta(names.role, { [LABEL_COMPONENT]: COMPONENT.agent }),
      rules: [
        {
          apiGroups: [""],
          resources: ["configmaps"],
          resourceNames: [names.stateConfigMap],
          verbs: ["get", "patch", "update"],
        },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(names.roleBinding, { [LABEL_COMPONENT]: COMPONENT.agent }),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.role },
      subjects: [
        { kind: "ServiceAccount", name: names.serviceAccount, namespace },
        ...(opts.warmMember
          ? [{ kind: "ServiceAccount", name: warmMemberNames(opts.warmMember).serviceAccount, namespace }]
          : []),
      ],
    },
  ];
  if (opts.warmMember) {
    objects.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta(warmMemberNames(opts.warmMember).binding, {
        [LABEL_COMPONENT]: COMPONENT.agent,
        [LABEL_WARM_MEMBER]: opts.warmMember,
      }),
      data: bindingData(task, org, opts.attempt),
    });
  }
  const claim = workspaceClaim(
    org,
    meta(names.workspace, { [LABEL_COMPONENT]: COMPONENT.workspace }),
    opts.workspaceClaim,
  );
  if (claim) objects.push(claim);
  if (org.spec.editor.enabled) {
    objects.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta(names.editorSecret, { [LABEL_COMPONENT]: COMPONENT.editor }),
      type: "Opaque",
      // data, not stringData: the API server stores data, so a resync can compare and skip the write.
      data: {
        password: Buffer.from(opts.editorPassword).toString("base64"),
        ...(tailnetSidecar(org) ? { [SERVE_CONFIG_KEY]: Buffer.from(serveConfig()).toString("base64") } : {}),
      },
    });
  }
  const template: PodTemplate = {
    metadata: {
      labels: { ...labels, ...agentSelector(name) },
      annotations: { [ANNOTATION_ATTEMPT]: String(opts.attempt) },
    },
    spec: podSpec(task, org, opts),
  };
  if (org.spec.agent.workload === "Pod") {
    if (opts.running && !opts.warmMember) {
      objects.push({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: agentPodName(name, opts.attempt), namespace, ...template.metadata, ...owner },
        // Always, as a Deployment's pod has: a crashed agent restarts in place, and a pod reaches
        // Failed only when the cluster ended it (an eviction, a lost node), never by the agent's exit.
        spec: { ...template.spec, restartPolicy: "Always" },
      });
    }
  } else {
    objects.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(names.deployment, { [LABEL_COMPONENT]: COMPONENT.agent }),
      spec: {
        replicas: opts.running ? 1 : 0,
        // One workspace per task: never two pods of it at once.
        strategy: { type: "Recreate" },
        revisionHistoryLimit: 2,
        selector: { matchLabels: agentSelector(name) },
        template,
      },
    });
  }
  if (org.spec.editor.enabled) {
    objects.push(renderService(task, org, { labels, owner }));
  }
  return objects;
}
