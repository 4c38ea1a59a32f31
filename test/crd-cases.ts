import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";

/**
 * Manifests the CRDs in crds/ must refuse or accept, to be run against a real kube-apiserver.
 *
 * A rejected case is created with `kubectl apply` (strict field validation); when it has `before`,
 * `before` is created first and the case is applied over it as an update. The API server's
 * answer must contain `${field}: ` and `message`. Zod must refuse the same manifest (cases without
 * `before`; zod never sees the stored object) with an issue at `field` whose message contains
 * `zodMessage ?? message`: schema/crd-cases.test.ts holds zod to that.
 * AgentTasks use the namespace "default", which every cluster has.
 */

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
};

export interface RejectedCase {
  name: string;
  manifest: Manifest;
  before?: Manifest;
  field: string;
  message: string;
  zodMessage?: string;
}

export interface AcceptedCase {
  name: string;
  manifest: Manifest;
}

const AGENT = { image: "ghcr.io/acme/agent:1.0" };

function org(spec: Record<string, unknown>, name = "acme"): Manifest {
  return orgManifest(name, { agent: AGENT, ...spec });
}

function task(spec: Record<string, unknown>, name = "fix-login"): Manifest {
  return taskManifest(name, "default", { org: "acme", prompt: "Fix the login redirect loop.", ...spec });
}

const DNS_LABEL = "must be a DNS-1123 label";
const PROMPT_CONTROL = "must not contain NUL or other control characters: only tab and newline are allowed";
const COMMAND_CONTROL =
  "must not contain NUL or other control characters except tab, newline and carriage return";
/** Four UTF-8 bytes and two UTF-16 units each: where counting code points and counting units part. */
const ASTRAL = "😀";
/**
 * A prompt of exactly `codePoints` code points, 21000 of them astral: more UTF-16 units than
 * code points (zod's own max() would count 86536), and within the prompt's byte budget.
 */
/** `start` and then arguments of up to 4096 x's until the entries have `bytes` UTF-8 bytes in all (start is ASCII). */
function commandOfBytes(start: string[], bytes: number): string[] {
  const command = [...start];
  let left = bytes - start.join("").length;
  while (left > 0) {
    const size = Math.min(left, 4096);
    command.push("x".repeat(size));
    left -= size;
  }
  return command;
}
const astralPrompt = (codePoints: number) => ASTRAL.repeat(21_000) + "a".repeat(codePoints - 21_000);
const GIT_URL = "must be a git URL";
const DURATION = "must be a Go duration between";
const QUANTITY = "must be a Kubernetes quantity such as 500m, 2 or 1Gi";

export const rejectedCases: RejectedCase[] = [
  {
    name: "Org name with a dot",
    manifest: org({}, "acme.corp"),
    field: "metadata.name",
    message: "Org names must be DNS-1123 labels",
  },
  {
    name: "Org name too long for the default namespace",
    manifest: org({}, `a${"b".repeat(59)}`),
    field: "metadata.name",
    message: "Org names are at most 59 characters unless spec.namespace is set",
  },
  {
    name: "Org namespace not a DNS label",
    manifest: org({ namespace: "Team_A" }),
    field: "spec.namespace",
    message: DNS_LABEL,
  },
  {
    name: "Org namespace of Kubernetes itself",
    manifest: org({ namespace: "kube-system" }),
    field: "spec.namespace",
    message: "namespace must not be one of Kubernetes' own",
  },
  {
    name: "Org namespace default",
    manifest: org({ namespace: "default" }),
    field: "spec.namespace",
    message: "namespace must not be one of Kubernetes' own",
  },
  {
    name: "Org env setting an operator variable",
    manifest: org({ agent: { ...AGENT, env: [{ name: "AGENTYARD_PROMPT", value: "x" }] } }),
    field: "spec.agent.env[0].name",
    message: "AGENTYARD_* variables are the operator's",
  },
  {
    name: "task env setting an operator variable the operator leaves unset",
    manifest: task({ agent: { env: [{ name: "AGENTYARD_COMMAND", value: '["sh","-c","id"]' }] } }),
    field: "spec.agent.env[0].name",
    message: "AGENTYARD_* variables are the operator's",
  },
  {
    name: "task env setting a variable only the runtime reads",
    manifest: task({ agent: { env: [{ name: "AGENTYARD_SERVICEACCOUNT_DIR", value: "/tmp" }] } }),
    field: "spec.agent.env[0].name",
    message: "AGENTYARD_* variables are the operator's",
  },
  {
    name: "Org env entry too large for execve, within the value's length",
    // 32768 astral code points: the value's limit in characters, 131072 bytes, over what one entry leaves.
    manifest: org({ agent: { ...AGENT, env: [{ name: "BIG", value: ASTRAL.repeat(32_768) }] } }),
    field: "spec.agent.env[0].value",
    message: "NAME=value must be at most 131071 bytes in UTF-8",
  },
  {
    name: "task env entry one byte too large for execve",
    // ABC= and 32767 astral code points: 131072 bytes, and the NUL makes 131073.
    manifest: task({ agent: { env: [{ name: "ABC", value: ASTRAL.repeat(32_767) }] } }),
    field: "spec.agent.env[0].value",
    message: "NAME=value must be at most 131071 bytes in UTF-8",
  },
  {
    name: "agent image with a space",
    manifest: org({ agent: { image: "ghcr.io/acme/agent 1.0" } }),
    field: "spec.agent.image",
    message: "must be a container image reference",
  },
  {
    name: "env name starting with a digit",
    manifest: org({ agent: { ...AGENT, env: [{ name: "1TOKEN", value: "x" }] } }),
    field: "spec.agent.env[0].name",
    message: "must be an environment variable name",
  },
  {
    name: "duplicate env name",
    manifest: org({
      agent: {
        ...AGENT,
        env: [
          { name: "MODE", value: "a" },
          { name: "MODE", value: "b" },
        ],
      },
    }),
    field: "spec.agent.env[1]",
    message: "Duplicate value",
    zodMessage: 'duplicate name "MODE"',
  },
  {
    name: "cpu request that is not a quantity",
    manifest: org({ agent: { ...AGENT, resources: { requests: { cpu: "lots" } } } }),
    field: "spec.agent.resources.requests.cpu",
    message: QUANTITY,
  },
  {
    name: "negative memory limit",
    manifest: org({ agent: { ...AGENT, resources: { limits: { memory: -1 } } } }),
    field: "spec.agent.resources.limits.memory",
    message: QUANTITY,
  },
  {
    name: "memory request above its limit",
    manifest: org({
      agent: { ...AGENT, resources: { requests: { memory: "2Gi" }, limits: { memory: "1Gi" } } },
    }),
    field: "spec.agent.resources.requests.memory",
    message: "requests.memory must not exceed limits.memory",
  },
  {
    name: "repository URL with a token",
    manifest: org({ repo: { url: "https://ghp_secret@github.com/acme/app.git" } }),
    field: "spec.repo.url",
    message: GIT_URL,
  },
  {
    name: "repository URL with an unknown scheme",
    manifest: org({ repo: { url: "ftp://example.com/acme/app.git" } }),
    field: "spec.repo.url",
    message: GIT_URL,
  },
  {
    name: "branch with '..'",
    manifest: org({ repo: { url: "https://github.com/acme/app.git", branch: "release..1" } }),
    field: "spec.repo.branch",
    message: "must be a git branch name",
  },
  {
    name: "kubeconfig Secret without namespace",
    manifest: org({ cluster: { kubeconfigSecretRef: { name: "acme-kubeconfig" } } }),
    field: "spec.cluster.kubeconfigSecretRef.namespace",
    message: "Required value",
  },
  {
    name: "editor idle timeout that is not a duration",
    manifest: org({ editor: { idleTimeout: "forever" } }),
    field: "spec.editor.idleTimeout",
    message: DURATION,
  },
  {
    name: "unknown mesh provider",
    manifest: org({ mesh: { provider: "wireguard" } }),
    field: "spec.mesh.provider",
    message: 'Unsupported value: "wireguard"',
    zodMessage: 'expected one of "tailscale"|"none"',
  },
  {
    name: "warm pool of an Org whose agents run as Deployments",
    manifest: org({ warmPool: { size: 2 } }),
    field: "spec.warmPool",
    message: "warmPool needs spec.agent.workload Pod",
  },
  {
    name: "warm pool with persistent workspaces",
    manifest: org({
      agent: { ...AGENT, workload: "Pod" },
      workspace: { storage: { size: "1Gi" } },
      warmPool: { size: 1 },
    }),
    field: "spec.warmPool",
    message: "warmPool cannot be used with spec.workspace.storage",
  },
  {
    name: "warm pool with tailnet sidecars",
    manifest: org({
      agent: { ...AGENT, workload: "Pod" },
      mesh: {
        provider: "tailscale",
        mode: "sidecar",
        tailnetDomain: "tail.example.ts.net",
        authKeySecretRef: { name: "tailnet-key" },
      },
      warmPool: { size: 1 },
    }),
    field: "spec.warmPool",
    message: "warmPool cannot be used with mesh mode sidecar",
  },
  {
    name: "warm pool larger than a pool keeps",
    manifest: org({ agent: { ...AGENT, workload: "Pod" }, warmPool: { size: 51 } }),
    field: "spec.warmPool.size",
    message: "should be less than or equal to 50",
    zodMessage: "must be at most 50",
  },
  {
    name: "egress allow range that is not a CIDR",
    manifest: org({ network: { egress: { allow: [{ cidr: "git.example.com" }] } } }),
    field: "spec.network.egress.allow[0].cidr",
    message: "must be a CIDR range",
  },
  {
    name: "egress allow range in hex IPv4",
    manifest: org({ network: { egress: { allow: [{ cidr: "0x0a.0.0.1/32" }] } } }),
    field: "spec.network.egress.allow[0].cidr",
    message: "must be a CIDR range",
  },
  {
    name: "egress allowing a cloud metadata address",
    manifest: org({
      network: { egress: { allow: [{ cidr: "169.254.169.254/32", ports: [{ port: 80 }] }] } },
    }),
    field: "spec.network.egress.allow[0].cidr",
    message: "must not be a cloud metadata address",
  },
  {
    name: "egress allowing the IPv6 metadata address",
    manifest: org({ network: { egress: { allow: [{ cidr: "fd00:ec2::254/128" }] } } }),
    field: "spec.network.egress.allow[0].cidr",
    message: "must not be a cloud metadata address",
  },
  {
    name: "egress allow list in mode Open",
    manifest: org({ network: { egress: { mode: "Open", allow: [{ cidr: "203.0.113.0/24" }] } } }),
    field: "spec.network.egress.allow",
    message: "allow applies to mode Restricted",
  },
  {
    name: "egress port out of range",
    manifest: org({ network: { egress: { allow: [{ cidr: "203.0.113.0/24", ports: [{ port: 70000 }] }] } } }),
    field: "spec.network.egress.allow[0].ports[0].port",
    message: "should be less than or equal to 65535",
    zodMessage: "must be at most 65535",
  },
  {
    name: "Tailscale settings without provider tailscale",
    manifest: org({ mesh: { tags: ["tag:agents"] } }),
    field: "spec.mesh.provider",
    message: "apply only to provider tailscale",
  },
  {
    name: "Tailscale tag without the tag: prefix",
    manifest: org({ mesh: { provider: "tailscale", tags: ["agents"] } }),
    field: "spec.mesh.tags[0]",
    message: "must be a Tailscale tag",
  },
  {
    name: "mesh mode sidecar without a key Secret",
    manifest: org({ mesh: { provider: "tailscale", mode: "sidecar", tailnetDomain: "t.example.com" } }),
    field: "spec.mesh.mode",
    message: "mode sidecar needs authKeySecretRef",
  },
  {
    name: "login server for the Tailscale operator's modes",
    manifest: org({ mesh: { provider: "tailscale", loginServer: "https://headscale.example.com" } }),
    field: "spec.mesh.mode",
    message: "apply only to mode sidecar",
  },
  {
    name: "login server that carries another tailscale up flag",
    manifest: org({
      mesh: {
        provider: "tailscale",
        mode: "sidecar",
        authKeySecretRef: { name: "k" },
        tailnetDomain: "t.example.com",
        loginServer: "https://h.example.com --exit-node=1.2.3.4",
      },
    }),
    field: "spec.mesh.loginServer",
    message: "must be the control server's URL",
  },
  {
    name: "hostname pattern without {task}",
    manifest: org({ mesh: { provider: "tailscale", hostnamePattern: "{org}-agent" } }),
    field: "spec.mesh.hostnamePattern",
    message: "must contain {task}",
  },
  {
    name: "no concurrent tasks allowed",
    manifest: org({ limits: { maxConcurrentTasks: 0 } }),
    field: "spec.limits.maxConcurrentTasks",
    message: "should be greater than or equal to 1",
    zodMessage: "must be at least 1",
  },
  {
    name: "Org namespace changed",
    before: org({ namespace: "team-a" }),
    manifest: org({ namespace: "team-b" }),
    field: "spec.namespace",
    message: "namespace cannot change",
  },
  {
    name: "Org namespace set after creation",
    before: org({}),
    manifest: org({ namespace: "team-a" }),
    field: "spec.namespace",
    message: "namespace cannot change",
  },
  {
    name: "AgentTask name starting with a digit",
    manifest: task({}, "1-fix"),
    field: "metadata.name",
    message: "AgentTask names must be DNS-1035 labels",
  },
  {
    name: "AgentTask without org",
    manifest: { ...task({}), spec: { prompt: "Fix it." } },
    field: "spec.org",
    message: "Required value",
  },
  {
    name: "blank prompt",
    manifest: task({ prompt: "  \n " }),
    field: "spec.prompt",
    message: "prompt must not be empty",
  },
  {
    name: "prompt with a NUL",
    manifest: task({ prompt: "Fix the login\u0000 redirect" }),
    field: "spec.prompt",
    message: PROMPT_CONTROL,
  },
  {
    name: "prompt with an escape sequence",
    manifest: task({ prompt: "Fix the \u001b[31mred\u001b[0m login" }),
    field: "spec.prompt",
    message: PROMPT_CONTROL,
  },
  {
    name: "prompt with a carriage return",
    manifest: task({ prompt: "Fix the login\r\nredirect" }),
    field: "spec.prompt",
    message: PROMPT_CONTROL,
  },
  {
    name: "prompt one code point over the limit, counted in code points",
    manifest: task({ prompt: astralPrompt(65_537) }),
    field: "spec.prompt",
    message: "Too long: may not be more than 65536",
    zodMessage: "must be at most 65536 characters",
  },
  {
    name: "prompt too large for one environment variable",
    // 65528 code points, within the length limit; 131056 bytes, over the 131054 execve leaves.
    manifest: task({ prompt: "é".repeat(65_528) }),
    field: "spec.prompt",
    message: "must be at most 131054 bytes in UTF-8",
  },
  {
    name: "command with a NUL in an argument",
    manifest: task({ command: ["sh", "-c", "make\u0000test"] }),
    field: "spec.command[2]",
    message: COMMAND_CONTROL,
  },
  {
    name: "command too large for one environment variable",
    manifest: task({ command: commandOfBytes(["sh", "-c", "true"], 65_001) }),
    field: "spec.command",
    message: "must be at most 65000 bytes in UTF-8 in all",
  },
  {
    name: "Org agent command with a NUL",
    manifest: org({ agent: { ...AGENT, command: ["agent\u0000"] } }),
    field: "spec.agent.command[0]",
    message: COMMAND_CONTROL,
  },
  {
    name: "Org agent preset with a command",
    manifest: org({ agent: { preset: "claude-code", command: ["claude", "-p"] } }),
    field: "spec.agent.command",
    message: "preset and command (or args) are mutually exclusive",
  },
  {
    name: "Org agent preset with args",
    manifest: org({ agent: { preset: "codex", args: ["--verbose"] } }),
    field: "spec.agent.command",
    message: "preset and command (or args) are mutually exclusive",
  },
  {
    name: "Org agent preset that does not exist",
    manifest: org({ agent: { preset: "aider" } }),
    field: "spec.agent.preset",
    message: "Unsupported value",
    zodMessage: "Invalid option",
  },
  {
    name: "Org agent base URL without a preset",
    manifest: org({ agent: { ...AGENT, baseUrl: "http://127.0.0.1:4000" } }),
    field: "spec.agent.preset",
    message: "credentialsSecretRef and baseUrl apply only to a preset's CLI",
  },
  {
    name: "Org agent base URL that is not http(s)",
    manifest: org({ agent: { preset: "gemini-cli", baseUrl: "ftp://gateway" } }),
    field: "spec.agent.baseUrl",
    message: "must be an http:// or https:// URL",
  },
  {
    name: "timeout in words",
    manifest: task({ timeout: "2 hours" }),
    field: "spec.timeout",
    message: DURATION,
  },
  {
    name: "timeout above a week",
    manifest: task({ timeout: "200h" }),
    field: "spec.timeout",
    message: "must be a Go duration between 1s and 168h",
  },
  {
    name: "too many retries",
    manifest: task({ retries: 11 }),
    field: "spec.retries",
    message: "should be less than or equal to 10",
    zodMessage: "must be between 0 and 10",
  },
  {
    name: "negative ttlSecondsAfterFinished",
    manifest: task({ ttlSecondsAfterFinished: -1 }),
    field: "spec.ttlSecondsAfterFinished",
    message: "should be greater than or equal to 0",
    zodMessage: "must be at least 0",
  },
  {
    name: "empty repo",
    manifest: task({ repo: {} }),
    field: "spec.repo",
    message: "repo must set url, branch or both",
  },
  {
    name: "repository URL without a scheme",
    manifest: task({ repo: { url: "github.com/acme/app" } }),
    field: "spec.repo.url",
    message: GIT_URL,
  },
  {
    name: "task cpu request above its limit",
    manifest: task({ agent: { resources: { requests: { cpu: 2 }, limits: { cpu: "1500m" } } } }),
    field: "spec.agent.resources.requests.cpu",
    message: "requests.cpu must not exceed limits.cpu",
  },
  {
    name: "AgentTask moved to another Org",
    before: task({}),
    manifest: task({ org: "globex" }),
    field: "spec.org",
    message: "org cannot change",
  },
  {
    name: "cancel undone",
    before: task({ cancel: true }),
    manifest: task({ cancel: false }),
    field: "spec.cancel",
    message: "cancel cannot be undone",
  },
];

export const acceptedCases: AcceptedCase[] = [
  {
    name: "warm pool of bare Pods, and an empty one of Deployments",
    manifest: org({ agent: { ...AGENT, workload: "Pod" }, warmPool: { size: 3 } }),
  },
  { name: "warm pool of size 0 with Deployments", manifest: org({ warmPool: { size: 0 } }) },
  { name: "minimal Org", manifest: org({}) },
  {
    name: "Org with a preset, its credentials Secret and a gateway",
    manifest: orgManifest("acme", {
      agent: {
        preset: "opencode",
        credentialsSecretRef: { name: "model-keys" },
        baseUrl: "https://gateway.internal/anthropic",
      },
    }),
  },
  {
    name: "prompt at the length limit in code points, astral characters included",
    manifest: task({ prompt: astralPrompt(65_536) }),
  },
  {
    name: "prompt with tabs and newlines",
    manifest: task({ prompt: "Fix the login.\n\n\tSteps:\n\t1. open /login" }),
  },
  {
    name: "command with tabs, newlines and carriage returns, at the byte budget",
    manifest: task({ command: commandOfBytes(["sh", "-c", "printf 'a\tb\r\n' \"$@\""], 65_000) }),
  },
  {
    name: "task env entry at execve's limit",
    // AB= and 32767 astral code points: 131071 bytes, and the NUL makes 131072.
    manifest: task({ agent: { env: [{ name: "AB", value: ASTRAL.repeat(32_767) }] } }),
  },
  { name: "Org without agent settings", manifest: { ...org({}), spec: {} } },
  {
    name: "Org with everything",
    manifest: org(
      {
        namespace: "globex-agents",
        cluster: { kubeconfigSecretRef: { name: "globex-kubeconfig", namespace: "capi-clusters" } },
        agent: {
          image: "ghcr.io/acme/agent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          command: ["agentyard-agent"],
          args: ["--verbose"],
          nodeSelector: { "agentyard.dev/pool": "agents" },
          tolerations: [{ key: "agentyard.dev/agents", operator: "Exists", effect: "NoSchedule" }],
          resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: 2, memory: "4Gi" } },
          env: [{ name: "GIT_AUTHOR_NAME", value: "agentyard" }, { name: "EMPTY" }],
          allowImageOverride: true,
          runtimeClassName: "gvisor",
        },
        repo: { url: "git@github.com:globex/app.git", branch: "develop" },
        git: { credentialsSecretRef: { name: "git-credentials", namespace: "agentyard-secrets" } },
        editor: { enabled: false, image: "codercom/code-server:4.96.4", idleTimeout: "1h30m" },
        mesh: {
          provider: "tailscale",
          mode: "loadBalancer",
          hostnamePattern: "{org}-{task}-editor",
          tags: ["tag:agents", "tag:globex"],
          proxyClass: "agents",
          tailnetDomain: "tail1234.ts.net",
        },
        limits: { maxConcurrentTasks: 20 },
      },
      "globex",
    ),
  },
  {
    name: "Org whose agents reach the internet but not the cluster, and a forge inside it",
    manifest: org({
      network: {
        egress: {
          allow: [
            { cidr: "0.0.0.0/0", ports: [{ port: 443 }, { port: 22 }], description: "the internet" },
            { cidr: "2001:db8::/32" },
            { cidr: "10.20.30.40/32", ports: [{ port: 3000, protocol: "TCP" }], description: "forge" },
            {
              cidr: "169.254.20.10/32",
              ports: [{ port: 53, protocol: "UDP" }],
              description: "node-local DNS",
            },
          ],
          privateCIDRs: ["10.0.0.0/8", "fd00::/8"],
        },
      },
    }),
  },
  { name: "Org with open egress", manifest: org({ network: { egress: { mode: "Open" } } }) },
  {
    name: "Org in mesh mode sidecar on a Headscale",
    manifest: org(
      {
        mesh: {
          provider: "tailscale",
          mode: "sidecar",
          loginServer: "https://headscale.example.com:8080",
          authKeySecretRef: { name: "tailnet-key", namespace: "agentyard-secrets" },
          tailnetDomain: "tailnet.example.com",
          tags: ["tag:agents"],
        },
      },
      "initech",
    ),
  },
  { name: "minimal AgentTask", manifest: task({}) },
  {
    name: "AgentTask with everything",
    manifest: task(
      {
        repo: { url: "file:///srv/git/app.git", branch: "feature/login" },
        command: ["sh", "-c", "make test"],
        agent: {
          image: "localhost:5000/agent:dev",
          resources: { limits: { memory: "8Gi" } },
          env: [{ name: "X", value: "1" }],
        },
        timeout: "1h30m",
        retries: 2,
        ttlSecondsAfterFinished: 3600,
        cancel: true,
      },
      "review-api",
    ),
  },
  {
    name: "AgentTask on another branch of the Org's repository",
    manifest: task({ repo: { branch: "release/2.x" } }, "backport"),
  },
  {
    name: "AgentTask over ssh",
    manifest: task(
      { repo: { url: "ssh://git@git.example.com:2222/acme/app.git" }, timeout: "45s" },
      "ssh-clone",
    ),
  },
];
