import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { stringify } from "yaml";
import { type Binaries, ensureBinaries } from "./build.ts";
import { Component } from "./component.ts";
import { httpsGet, waitFor } from "./http.ts";
import { kubeconfigYaml } from "./kubeconfig.ts";
import {
  LOCAL_PATH_GROUPS,
  LOCAL_PATH_USER,
  localPathArgs,
  localPathConfig,
  localPathEnv,
  localPathObjects,
} from "./local-path.ts";
import { freePort } from "./ports.ts";

/** Users with static bearer tokens. The test users have no rights until a test grants them some. */
export const TEST_USERS = ["alice", "bob", "carol"] as const;
export type TestUser = (typeof TEST_USERS)[number];
export type ClusterUser = "admin" | TestUser;

/** The processes of one cluster, each started, restarted and stopped by name. */
export const COMPONENT_NAMES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "local-path-provisioner",
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

/** Identities of the components, each with a static token and a kubeconfig of its own. */
type ComponentUser = "kube-controller-manager" | "kube-scheduler" | "kwok" | "local-path-provisioner";
const COMPONENT_USERS: ComponentUser[] = [
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "local-path-provisioner",
];

export interface ClusterOptions {
  /** Shown in logs, kubeconfig context names and kwok node names. */
  name?: string;
  /** Where the cluster keeps its data; a temporary folder removed on stop when omitted. */
  dir?: string;
  /** kwok nodes to create (default 1). */
  nodes?: number;
  log?: (line: string) => void;
  binaries?: Binaries;
  /**
   * Benchmarks: also record the writes of the controller-manager and the scheduler in the audit log,
   * so that a run can show where writes go. Tests keep the default policy, which drops them to keep
   * the log small.
   */
  auditControlPlane?: boolean;
  /**
   * The controller-manager's --node-monitor-grace-period (a Go duration), for benchmarks only. Under
   * a burst of a thousand pods on two cores kwok misses node heartbeats past the default 50s; the
   * node lifecycle controller then marks the nodes NotReady and every pod on them Ready=False, and
   * kwok never sets them back, so a benchmark would measure the fake nodes, not the workload.
   */
  nodeMonitorGracePeriod?: string;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What a client needs to reach a running devcluster; serializable for other processes. */
export interface ClusterInfo {
  name: string;
  dir: string;
  server: string;
  caFile: string;
  ca: string;
  kubeconfig: string;
  auditLog: string;
  /**
   * Where the storage provisioner makes volumes: the only host folder a node agent lets pods mount
   * (hostPath volumes, and the PersistentVolumes of claims).
   */
  storageDir: string;
  tokens: Record<ClusterUser, string>;
  kubeconfigs: Record<ClusterUser, string>;
  kubectlPath: string;
}

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

const SA_ISSUER = "https://kubernetes.default.svc.cluster.local";

/** The audit policy: every write at Metadata level, except what no test or benchmark counts. */
export function auditPolicy(options: { controlPlane?: boolean } = {}) {
  const quiet = options.controlPlane
    ? ["system:apiserver"]
    : ["system:kube-controller-manager", "system:kube-scheduler", "system:apiserver"];
  return {
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [
      // Reads are the bulk of traffic and tests count writes; keep the log small.
      { level: "None", verbs: ["get", "list", "watch"] },
      {
        level: "None",
        resources: [{ group: "coordination.k8s.io", resources: ["leases"] }],
        users: ["kwok"],
      },
      { level: "None", users: quiet },
      // A review's body is the identity asked about (uid and extra included), which the api's
      // tests check; TokenReviews stay at Metadata, their bodies hold the tokens.
      {
        level: "Request",
        verbs: ["create"],
        resources: [{ group: "authorization.k8s.io", resources: ["subjectaccessreviews"] }],
      },
      { level: "Metadata" },
    ],
  };
}

function token(): string {
  return randomBytes(24).toString("hex");
}

export class DevCluster {
  readonly name: string;
  readonly dir: string;
  readonly binaries: Binaries;
  private readonly temporary: boolean;
  private readonly log: (line: string) => void;
  private readonly nodeCount: number;
  private readonly options: ClusterOptions;
  private readonly components = new Map<ComponentName, Component>();
  private ports!: Ports;
  private tokens!: Record<ClusterUser | ComponentUser, string>;
  private caPem = "";
  private stopped = false;

  private constructor(
    name: string,
    dir: string,
    temporary: boolean,
    binaries: Binaries,
    options: ClusterOptions,
  ) {
    this.name = name;
    this.dir = dir;
    this.temporary = temporary;
    this.binaries = binaries;
    this.nodeCount = options.nodes ?? 1;
    this.options = options;
    this.log = options.log ?? (() => {});
  }

  /** Builds the binaries if needed and starts etcd, the control plane and kwok on free loopback ports. */
  static async start(options: ClusterOptions = {}): Promise<DevCluster> {
    const binaries = options.binaries ?? (await ensureBinaries(options.log));
    const name = options.name ?? "agentyard";
    const temporary = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), `agentyard-${name}-`)));
    const cluster = new DevCluster(name, dir, temporary, binaries, options);
    try {
      await cluster.boot();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get server(): string {
    return `https://127.0.0.1:${this.ports.apiserver}`;
  }

  get caFile(): string {
    return join(this.dir, "pki", "apiserver.crt");
  }

  get auditLog(): string {
    return join(this.dir, "audit.log");
  }

  get storageDir(): string {
    return join(this.dir, "local-path", "volumes");
  }

  private get storageConfig(): string {
    return join(this.dir, "local-path", "config.json");
  }

  kubeconfigPath(user: ClusterUser = "admin"): string {
    return join(this.dir, user === "admin" ? "kubeconfig" : `kubeconfig-${user}`);
  }

  token(user: ClusterUser = "admin"): string {
    return this.tokens[user];
  }

  info(): ClusterInfo {
    const users: ClusterUser[] = ["admin", ...TEST_USERS];
    return {
      name: this.name,
      dir: this.dir,
      server: this.server,
      caFile: this.caFile,
      ca: this.caPem,
      kubeconfig: this.kubeconfigPath(),
      auditLog: this.auditLog,
      storageDir: this.storageDir,
      tokens: Object.fromEntries(users.map((u) => [u, this.tokens[u]])) as Record<ClusterUser, string>,
      kubeconfigs: Object.fromEntries(users.map((u) => [u, this.kubeconfigPath(u)])) as Record<
        ClusterUser,
        string
      >,
      kubectlPath: this.binaries.kubectl,
    };
  }

  /** Runs the built kubectl against this cluster, as admin unless another user is named. */
  kubectl(args: string[], options: { user?: ClusterUser; input?: string } = {}): Promise<KubectlResult> {
    return runKubectl(this.binaries.kubectl, this.kubeconfigPath(options.user), args, options.input);
  }

  pid(component: ComponentName): number | undefined {
    return this.components.get(component)?.pid;
  }

  /** Stops and starts one component, for fault tests; resolves when it serves again. */
  async restart(component: ComponentName): Promise<void> {
    const c = this.mustGet(component);
    await c.stop();
    await this.startComponent(component);
  }

  /** Stops one component (fault tests); `restart` or `startComponent` brings it back. */
  async stopComponent(component: ComponentName): Promise<void> {
    await this.mustGet(component).stop();
  }

  async startComponent(component: ComponentName): Promise<void> {
    const c = this.mustGet(component);
    c.start();
    if (component === "etcd") await this.waitEtcd();
    if (component === "kube-apiserver") await this.waitApiserver();
  }

  /**
   * Compacts etcd's history up to its newest revision, after one write of a key of its own so that
   * the newest revision is past every resourceVersion a client holds: a watch resumed from any of
   * them is answered 410 Gone once the API server's own cache no longer has it (fault tests).
   * Resolves with the revision compacted to.
   */
  async compactEtcd(): Promise<number> {
    const etcd = `http://127.0.0.1:${this.ports.etcdClient}/v3/kv`;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${etcd}/${path}`, { method: "POST", body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`etcd ${path} answered HTTP ${res.status}`);
      return (await res.json()) as { header?: { revision?: string } };
    };
    const key = Buffer.from("/agentyard-devcluster/compaction").toString("base64");
    const put = await post("put", { key, value: Buffer.from(String(Date.now())).toString("base64") });
    const revision = Number(put.header?.revision);
    if (!Number.isInteger(revision)) throw new Error("etcd put answered no revision");
    await post("compaction", { revision, physical: true });
    return revision;
  }

  /** Stops every process, in reverse start order; removes a temporary data folder. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const order: ComponentName[] = [
      "local-path-provisioner",
      "kwok",
      "kube-scheduler",
      "kube-controller-manager",
      "kube-apiserver",
      "etcd",
    ];
    for (const name of order) await this.components.get(name)?.stop();
    if (this.temporary) await rm(this.dir, { recursive: true, force: true });
  }

  private mustGet(component: ComponentName): Component {
    const c = this.components.get(component);
    if (!c) throw new Error(`unknown component ${component}`);
    return c;
  }

  private async boot(): Promise<void> {
    const started = Date.now();
    await mkdir(join(this.dir, "pki"), { recursive: true });
    await mkdir(join(this.dir, "logs"), { recursive: true });
    await this.writeCredentials();
    await writeFile(
      join(this.dir, "audit-policy.yaml"),
      stringify(auditPolicy({ controlPlane: this.options.auditControlPlane })),
    );

    // A port taken by another process between allocation and bind makes etcd or the API server exit;
    // allocate anew and try again.
    for (let attempt = 1; ; attempt++) {
      this.ports = {
        etcdClient: await freePort(),
        etcdPeer: await freePort(),
        apiserver: await freePort(),
        controllerManager: await freePort(),
        scheduler: await freePort(),
        kwok: await freePort(),
      };
      this.defineComponents();
      try {
        await this.startComponent("etcd");
        await this.startComponent("kube-apiserver");
        break;
      } catch (err) {
        const inUse = /address already in use/.test(
          (await this.mustGet("etcd").tail()) + (await this.mustGet("kube-apiserver").tail()),
        );
        await this.components.get("kube-apiserver")?.stop();
        await this.components.get("etcd")?.stop();
        if (!inUse || attempt >= 3) throw err;
        this.log(`[devcluster] ${this.name}: a port was taken, retrying`);
      }
    }
    this.caPem = await readFile(this.caFile, "utf8");
    await this.writeKubeconfigs();
    for (const name of ["kube-controller-manager", "kube-scheduler", "kwok"] as const)
      this.mustGet(name).start();
    await Promise.all([this.createNodes(), this.startStorage()]);
    this.log(
      `[devcluster] ${this.name}: API server ready on 127.0.0.1 port ${this.ports.apiserver} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
  }

  private async writeCredentials(): Promise<void> {
    const saKey = join(this.dir, "pki", "sa.key");
    if (!existsSync(saKey)) {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      await writeFileAtomic(saKey, privateKey.export({ type: "pkcs1", format: "pem" }), { mode: 0o600 });
    }
    const tokensJson = join(this.dir, "tokens.json");
    const saved: Partial<Record<ClusterUser | ComponentUser, string>> = existsSync(tokensJson)
      ? JSON.parse(await readFile(tokensJson, "utf8"))
      : {};
    // A folder kept from an earlier version lacks the identities added since.
    const users = ["admin", ...TEST_USERS, ...COMPONENT_USERS] as const;
    const tokens = Object.fromEntries(users.map((u) => [u, saved[u] ?? token()])) as Record<
      ClusterUser | ComponentUser,
      string
    >;
    if (users.some((u) => saved[u] === undefined)) {
      await writeFileAtomic(tokensJson, JSON.stringify(tokens, null, 2), { mode: 0o600 });
    }
    this.tokens = tokens;
    const t = this.tokens;
    // token,user,uid,"groups": the API server's static token file.
    const rows = [
      `${t.admin},admin,admin,"system:masters"`,
      `${t["kube-controller-manager"]},system:kube-controller-manager,system:kube-controller-manager,""`,
      `${t["kube-scheduler"]},system:kube-scheduler,system:kube-scheduler,""`,
      `${t.kwok},kwok,kwok,"system:masters"`,
      `${t["local-path-provisioner"]},${LOCAL_PATH_USER},${LOCAL_PATH_USER},"${LOCAL_PATH_GROUPS.join(",")}"`,
      ...TEST_USERS.map((u) => `${t[u]},${u},${u},"agentyard:testers"`),
    ];
    await writeFile(join(this.dir, "tokens.csv"), `${rows.join("\n")}\n`, { mode: 0o600 });
  }

  private defineComponents(): void {
    const d = this.dir;
    const p = this.ports;
    const logs = join(d, "logs");
    const saKey = join(d, "pki", "sa.key");
    const componentKubeconfig = (user: string) => join(d, `kubeconfig-${user}`);
    const define = (name: ComponentName, command: string, args: string[], env?: NodeJS.ProcessEnv) => {
      const existing = this.components.get(name);
      if (existing) existing.setArgs(args);
      else this.components.set(name, new Component(name, command, args, join(logs, `${name}.log`), env));
    };
    define("etcd", this.binaries.etcd, [
      `--name=${this.name}`,
      `--data-dir=${join(d, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${p.etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${p.etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${p.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${p.etcdPeer}`,
      `--initial-cluster=${this.name}=http://127.0.0.1:${p.etcdPeer}`,
      // Test data is thrown away; fsync would make every write wait for the disk.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    define("kube-apiserver", this.binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${p.etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${p.apiserver}`,
      `--cert-dir=${join(d, "pki")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=RBAC",
      `--token-auth-file=${join(d, "tokens.csv")}`,
      `--service-account-issuer=${SA_ISSUER}`,
      `--api-audiences=${SA_ISSUER}`,
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      `--audit-policy-file=${join(d, "audit-policy.yaml")}`,
      `--audit-log-path=${this.auditLog}`,
      "--audit-log-format=json",
      "--audit-log-maxsize=200",
      // A loopback address cannot be an endpoint of the `kubernetes` Service.
      "--endpoint-reconciler-type=none",
      // As on real clusters, admission (PodSecurity) decides about privileged pods, not this flag.
      "--allow-privileged=true",
      "--profiling=false",
    ]);
    // What the controller-manager and the scheduler share: their identity, a loopback secure port
    // with a serving certificate of their own, and no leader election or profiling.
    const controlLoop = (
      user: "kube-controller-manager" | "kube-scheduler",
      port: number,
      extra: string[],
    ) => [
      `--kubeconfig=${componentKubeconfig(user)}`,
      `--authentication-kubeconfig=${componentKubeconfig(user)}`,
      `--authorization-kubeconfig=${componentKubeconfig(user)}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${join(d, "pki", user)}`,
      ...extra,
      "--leader-elect=false",
      "--profiling=false",
    ];
    define(
      "kube-controller-manager",
      this.binaries.kubeControllerManager,
      controlLoop("kube-controller-manager", p.controllerManager, [
        `--service-account-private-key-file=${saKey}`,
        `--root-ca-file=${this.caFile}`,
        "--use-service-account-credentials",
        `--cluster-name=${this.name}`,
        ...(this.options.nodeMonitorGracePeriod
          ? [`--node-monitor-grace-period=${this.options.nodeMonitorGracePeriod}`]
          : []),
      ]),
    );
    define("kube-scheduler", this.binaries.kubeScheduler, controlLoop("kube-scheduler", p.scheduler, []));
    define("kwok", this.binaries.kwok, [
      `--kubeconfig=${componentKubeconfig("kwok")}`,
      "--manage-all-nodes=false",
      "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      `--server-address=127.0.0.1:${p.kwok}`,
      "--node-ip=127.0.0.1",
      ...this.binaries.kwokStages.map((s) => `--config=${s}`),
    ]);
    define(
      "local-path-provisioner",
      this.binaries.localPath.provisioner,
      localPathArgs({
        kubeconfig: componentKubeconfig("local-path-provisioner"),
        configFile: this.storageConfig,
      }),
      localPathEnv(),
    );
  }

  private async waitEtcd(): Promise<void> {
    const etcd = this.mustGet("etcd");
    await waitFor(
      `etcd of ${this.name} to become healthy`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${this.ports.etcdClient}/health`);
        const body = (await res.json()) as { health?: string };
        return body.health === "true" ? true : undefined;
      },
      { timeoutMs: 30_000, abort: () => exitedReason(etcd) },
    );
  }

  private async waitApiserver(): Promise<void> {
    const apiserver = this.mustGet("kube-apiserver");
    await waitFor(
      `kube-apiserver of ${this.name} to answer /readyz`,
      async () => {
        if (!existsSync(this.caFile)) return undefined;
        const ca = await readFile(this.caFile, "utf8");
        const res = await httpsGet(`${this.server}/readyz`, ca, this.tokens.admin);
        return res.status === 200 ? true : undefined;
      },
      { timeoutMs: 120_000, abort: () => exitedReason(apiserver) },
    );
  }

  private async writeKubeconfigs(): Promise<void> {
    const write = (file: string, user: string, tok: string) =>
      writeFile(
        file,
        kubeconfigYaml({ name: this.name, server: this.server, ca: this.caPem, user, token: tok }),
        {
          mode: 0o600,
        },
      );
    await write(this.kubeconfigPath("admin"), "admin", this.tokens.admin);
    for (const u of TEST_USERS) await write(this.kubeconfigPath(u), u, this.tokens[u]);
    for (const u of COMPONENT_USERS) await write(join(this.dir, `kubeconfig-${u}`), u, this.tokens[u]);
  }

  /**
   * The provisioner's objects from its release manifest and its config, then the provisioner: it
   * reads the helper pod's template from its ConfigMap when it starts.
   */
  private async startStorage(): Promise<void> {
    await mkdir(this.storageDir, { recursive: true });
    await writeFile(this.storageConfig, JSON.stringify(localPathConfig(this.storageDir)));
    const objects = localPathObjects(await readFile(this.binaries.localPath.manifest, "utf8"));
    const result = await this.kubectl(["apply", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
    });
    if (result.code !== 0) throw new Error(`installing the local-path provisioner failed: ${result.stderr}`);
    this.mustGet("local-path-provisioner").start();
  }

  private async createNodes(): Promise<void> {
    const nodes = Array.from({ length: this.nodeCount }, (_, i) => kwokNode(`${this.name}-node-${i}`));
    const result = await this.kubectl(["apply", "-f", "-"], {
      input: nodes.map((n) => stringify(n)).join("---\n"),
    });
    if (result.code !== 0) throw new Error(`creating kwok nodes failed: ${result.stderr}`);
    const kwok = this.mustGet("kwok");
    await waitFor(
      `kwok nodes of ${this.name} to become Ready`,
      async () => {
        const r = await this.kubectl([
          "get",
          "nodes",
          "-o",
          'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
        ]);
        const ready = r.stdout.split("\n").filter((s) => s === "True").length;
        return ready >= this.nodeCount ? true : undefined;
      },
      { timeoutMs: 60_000, abort: () => exitedReason(kwok) },
    );
  }
}

async function exitedReason(component: Component): Promise<string | undefined> {
  if (component.running) return undefined;
  return `${component.name} exited; the end of ${component.logFile}:\n${await component.tail()}`;
}

/** A node that kwok manages: pods scheduled to it are marked Running without a container runtime. */
export function kwokNode(name: string) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    status: {
      allocatable: { cpu: "32", memory: "256Gi", pods: "110" },
      capacity: { cpu: "32", memory: "256Gi", pods: "110" },
    },
  };
}

export function runKubectl(
  kubectl: string,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectl,
      args,
      { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
