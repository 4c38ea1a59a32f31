import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { DevCluster, KubectlResult } from "../../devcluster/cluster.ts";
import { exists } from "../../devcluster/go-build.ts";
import { kubeconfigYaml } from "../../devcluster/kubeconfig.ts";
import { cacheRoot, projectRoot } from "../../devcluster/paths.ts";
import { ensureTool, type ToolName } from "../../devcluster/tools.ts";

export const CHART_DIR = join(projectRoot, "charts", "agentyard");
export const RELEASE = "agentyard";
export const RELEASE_NAMESPACE = "agentyard-system";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A beforeAll's time for building tools on first use: on a fresh machine the build shares two
 * cores with every other suite's (Gitea's, code-server's), and takes minutes there, not seconds.
 */
export const TOOL_BUILD_TIMEOUT_MS = 20 * 60_000;

/**
 * Builds the tools a suite runs, before its tests, whose deadlines are for the tests alone. One after
 * the other: each build locks the tools folder, and proper-lockfile keeps one lock per folder in a
 * process (two at once end in "Lock is already released").
 */
export async function ensureTools(...tools: ToolName[]): Promise<void> {
  for (const tool of tools) await ensureTool(tool);
}

/** Runs a tool built from devcluster/go/tools/ (building it on first use). */
export async function runTool(tool: ToolName, args: string[], input?: string): Promise<RunResult> {
  const bin = await ensureTool(tool);
  // helm keeps no state between calls here: no repositories, plugins or registry logins of the user's.
  const home = await mkdtemp(join(tmpdir(), `agentyard-${tool}-`));
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
  };
  try {
    return await new Promise((resolve) => {
      const child = execFile(bin, args, { env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** `helm template` of the chart as release `agentyard` in `agentyard-system`; throws when helm refuses. */
export async function helmTemplate(
  options: { values?: Record<string, unknown>; includeCrds?: boolean } = {},
): Promise<string> {
  const args = ["template", RELEASE, CHART_DIR, "--namespace", RELEASE_NAMESPACE];
  if (options.includeCrds) args.push("--include-crds");
  if (options.values) args.push("--values", "-");
  const r = await runTool("helm", args, options.values ? JSON.stringify(options.values) : undefined);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.stdout;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

type Kubectl = (args: string[]) => Promise<KubectlResult>;

async function kubectlJson<T>(kubectl: Kubectl, path: string): Promise<T> {
  const r = await kubectl(["get", "--raw", path]);
  if (r.code !== 0) throw new Error(`GET ${path} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

type Schema = Record<string, unknown>;

/**
 * kubeconform's -strict picks schemas that refuse unknown fields; the API server's OpenAPI leaves
 * them open. Close every object schema that lists its properties, except where Kubernetes keeps
 * unknown fields on purpose.
 */
export function strictSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (node === null || typeof node !== "object") return node;
  const out: Schema = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, strictSchema(v)]));
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    out["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** kubeconform's file name for a kind: `{kind}-{first label of the group}-{version}.json`. */
export function schemaFileName(kind: string, group: string, version: string): string {
  const prefix = group ? `-${group.split(".")[0]}` : "";
  return `${kind.toLowerCase()}${prefix}-${version}.json`;
}

/**
 * JSON schemas of every built-in kind, from the API server's own OpenAPI v3 documents, cached per
 * server version. Each file carries its document's components, so its `$ref`s resolve locally.
 */
export async function builtinSchemas(kubectl: Kubectl): Promise<string> {
  const version = (await kubectlJson<{ gitVersion: string }>(kubectl, "/version")).gitVersion;
  const dir = join(cacheRoot(), "kubeconform-schemas", version);
  if (await exists(join(dir, "deployment-apps-v1.json"))) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  await mkdir(partial, { recursive: true });
  const index = await kubectlJson<{ paths: Record<string, { serverRelativeURL: string }> }>(
    kubectl,
    "/openapi/v3",
  );
  for (const [path, { serverRelativeURL }] of Object.entries(index.paths)) {
    // Custom resources come from the chart's CRDs, not from whatever this server has installed.
    if (!/^(api\/v1|apis\/[^/]+\.k8s\.io\/[^/]+|apis\/(apps|batch|policy|autoscaling)\/[^/]+)$/.test(path))
      continue;
    const doc = await kubectlJson<{ components?: { schemas?: Record<string, Schema> } }>(
      kubectl,
      serverRelativeURL,
    );
    const schemas = doc.components?.schemas ?? {};
    const components = { schemas: strictSchema(schemas) };
    for (const schema of Object.values(schemas)) {
      const gvks = (schema["x-kubernetes-group-version-kind"] ?? []) as {
        group: string;
        version: string;
        kind: string;
      }[];
      for (const { group, version: v, kind } of gvks) {
        const file = join(partial, schemaFileName(kind, group, v));
        await writeFile(file, JSON.stringify({ ...(strictSchema(schema) as Schema), components }));
      }
    }
  }
  await rename(partial, dir).catch(async (err: NodeJS.ErrnoException) => {
    // Another worker finished first: its copy is as good as ours.
    if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
    await rm(partial, { recursive: true, force: true });
  });
  return dir;
}

/** JSON schemas of the chart's CRDs (every served version), written into `dir`. */
export async function crdSchemas(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const crdDir = join(CHART_DIR, "crds");
  for (const f of await readdir(crdDir)) {
    for (const crd of parseManifests(await readFile(join(crdDir, f), "utf8"))) {
      const spec = crd.spec as {
        group: string;
        names: { kind: string };
        versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
      };
      for (const v of spec.versions) {
        const file = join(dir, schemaFileName(spec.names.kind, spec.group, v.name));
        await writeFile(file, JSON.stringify(strictSchema(v.schema.openAPIV3Schema)));
      }
    }
  }
  return dir;
}

/** `kubeconform -strict` of a YAML stream against local schemas only (it never downloads any). */
export function kubeconform(yaml: string, schemaDirs: string[]): Promise<RunResult> {
  const locations = schemaDirs.flatMap((d) => [
    "-schema-location",
    `${d}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
  ]);
  return runTool("kubeconform", ["-strict", "-summary", ...locations, "-"], yaml);
}

/** A kubeconfig file holding a fresh token (TokenRequest) of one of the chart's ServiceAccounts. */
export async function serviceAccountKubeconfig(
  cluster: DevCluster,
  serviceAccount: string,
  dir: string,
): Promise<string> {
  const token = await cluster.kubectl([
    "create",
    "token",
    serviceAccount,
    "-n",
    RELEASE_NAMESPACE,
    "--duration=1h",
  ]);
  if (token.code !== 0) throw new Error(`TokenRequest for ${serviceAccount} failed: ${token.stderr}`);
  const info = cluster.info();
  const path = join(dir, `${serviceAccount}.kubeconfig`);
  await writeFile(
    path,
    kubeconfigYaml({
      name: info.name,
      server: info.server,
      ca: info.ca,
      user: serviceAccount,
      token: token.stdout.trim(),
    }),
    { mode: 0o600 },
  );
  return path;
}

export interface AgentyardProcess {
  /** Everything it logged so far. */
  output(): string;
  stop(): Promise<void>;
}

/** `agentyard <args>` as a child process of its own, as it runs in the chart's pods. */
export function startAgentyard(args: string[], env: Record<string, string> = {}): AgentyardProcess {
  const child = spawn(process.execPath, [join(projectRoot, "cli", "agentyard.ts"), ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d;
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
