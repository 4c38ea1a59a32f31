import { delimiter, dirname } from "node:path";
import type { ClusterClient } from "@agentyard/kube-runtime";
import { ConfigError, fieldValue, objectData } from "./objects.ts";
import { MARKER_ENV } from "./processes.ts";
import type { PreparedProgram } from "./programs.ts";
import { LOCAL_IP } from "./status.ts";
import type { Container, Pod } from "./types.ts";

/** Where a pod's ServiceAccount token is mounted; the agent runtime is told the local folder. */
export const SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Every container's map of the pod's container ports to their loopback ports (JSON), for programs
 * that read addresses from files, which the node agent does not rewrite (the tailscale boot's serve config).
 */
export const LOCAL_PORTS_ENV = "AGENTYARD_LOCAL_PORTS";

/** A container port's loopback address, `127.0.0.1:<port>`, in env values and args. */
// A word boundary cannot precede "[": the bracketed IPv6 forms stand alone.
const ADDRESS = /(?:\b(?:0\.0\.0\.0|127\.0\.0\.1|localhost)|\[::\]|\[::1\]):(\d+)\b/g;

export interface Mount {
  mountPath: string;
  dir: string;
}

/**
 * Maps container paths and addresses to this machine's: a value starting with a mount path moves
 * into the mount's folder, and an address of a container port gets the port the pod was given
 * (pods share the host, so 8443 is taken by the first editor).
 */
export function rewriter(mounts: Mount[], ports: Map<number, number>): (value: string) => string {
  const byLength = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return (value) => {
    let out = value;
    const mount = byLength.find(
      (m) => out === m.mountPath || out.startsWith(`${m.mountPath.replace(/\/$/, "")}/`),
    );
    if (mount) out = mount.dir + out.slice(mount.mountPath.replace(/\/$/, "").length);
    return out.replace(ADDRESS, (match, port: string) => {
      const local = ports.get(Number(port));
      return local === undefined ? match : `${LOCAL_IP}:${local}`;
    });
  };
}

/** `$(NAME)` references to variables defined before, as the kubelet expands them; `$$` escapes. */
export function expand(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return "$";
    return vars[name] ?? match;
  });
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The container's own environment, with valueFrom and envFrom read from the API server. */
export async function containerEnv(
  client: ClusterClient,
  pod: Pod,
  container: Container,
): Promise<Record<string, string>> {
  const ns = pod.metadata.namespace;
  const vars: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? "ConfigMap" : "Secret";
    const data = await objectData(client, ns, kind, ref.name, ref.optional);
    for (const [k, v] of Object.entries(data ?? {})) {
      const name = `${from.prefix ?? ""}${k}`;
      if (ENV_NAME.test(name)) vars[name] = v.toString();
    }
  }
  for (const e of container.env ?? []) {
    const from = e.valueFrom;
    if (!from) {
      vars[e.name] = expand(e.value ?? "", vars);
      continue;
    }
    const ref = from.secretKeyRef ?? from.configMapKeyRef;
    if (ref) {
      const kind = from.secretKeyRef ? "Secret" : "ConfigMap";
      const value = (await objectData(client, ns, kind, ref.name, ref.optional))?.[ref.key];
      if (value !== undefined) vars[e.name] = value.toString();
      else if (!ref.optional)
        throw new ConfigError(`${kind.toLowerCase()} "${ref.name}" has no key "${ref.key}"`);
    } else if (from.fieldRef) vars[e.name] = fieldValue(pod, from.fieldRef.fieldPath);
    else throw new ConfigError(`env ${e.name}: resourceFieldRef is not supported on agentyard-local`);
  }
  return vars;
}

export interface LaunchSpec {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface LaunchContext {
  program: PreparedProgram;
  /** The container's own environment (containerEnv), not yet rewritten. */
  vars: Record<string, string>;
  mounts: Mount[];
  ports: Map<number, number>;
  /** The API server this machine reaches, for KUBERNETES_SERVICE_HOST/PORT. */
  server: URL;
  /** The pod's own folders for what an image would have: a home and a working folder. */
  home: string;
  cwd: string;
  marker: string;
}

/**
 * How the container runs here: the image's entrypoint (the program) followed by the args, or the
 * container's command as a host command; the environment is the container's, made local, over a
 * minimal base (PATH with this Node first, HOME), plus what a pod would find in a cluster.
 */
export function launchSpec(container: Container, ctx: LaunchContext): LaunchSpec {
  const rewrite = rewriter(ctx.mounts, ctx.ports);
  const vars = Object.fromEntries(Object.entries(ctx.vars).map(([k, v]) => [k, rewrite(v)]));
  const args = (container.args ?? []).map((a) => rewrite(expand(a, ctx.vars)));
  const argv = container.command?.length
    ? [...container.command.map((c) => rewrite(expand(c, ctx.vars))), ...args]
    : [...ctx.program.entrypoint, ...args];
  const saMount = ctx.mounts.find((m) => m.mountPath.replace(/\/$/, "") === SERVICE_ACCOUNT_PATH);
  const tmp = ctx.mounts.find((m) => m.mountPath.replace(/\/$/, "") === "/tmp");
  const env: NodeJS.ProcessEnv = {
    PATH: [...(ctx.program.path ?? []), dirname(process.execPath), process.env.PATH]
      .filter(Boolean)
      .join(delimiter),
    HOME: ctx.home,
    ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
    ...(tmp ? { TMPDIR: tmp.dir } : {}),
    ...vars,
    KUBERNETES_SERVICE_HOST: ctx.server.hostname,
    KUBERNETES_SERVICE_PORT: ctx.server.port || "443",
    ...(saMount ? { AGENTYARD_SERVICEACCOUNT_DIR: saMount.dir } : {}),
    [MARKER_ENV]: ctx.marker,
    [LOCAL_PORTS_ENV]: JSON.stringify(Object.fromEntries(ctx.ports)),
  };
  const workingDir = container.workingDir ? rewrite(container.workingDir) : undefined;
  const cwd = workingDir && workingDir !== container.workingDir ? workingDir : ctx.cwd;
  return { argv, env, cwd };
}
