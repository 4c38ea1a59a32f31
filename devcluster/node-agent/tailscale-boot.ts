/**
 * The `tailscale/tailscale` image's containerboot on agentyard-local, for the part of its
 * environment that agentyard's pods use (docs/devcluster.md lists it): tailscaled in userspace
 * networking, `tailscale up`, the serve config, /healthz; on SIGTERM the node logs out before
 * tailscaled stops (docs/devcluster.md says what is still open there). tailscaled and tailscale come
 * from PATH, as in the image; the node agent puts the cache's build there.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { waitFor } from "../http.ts";
import { MAX_SOCKET_PATH, socketReady, tailscaledArgs, tailscaledEnv } from "../tailscale-env.ts";
import { LOCAL_PORTS_ENV, rewriter } from "./container-spec.ts";

const run = promisify(execFile);
/** What containerboot replaces with the node's MagicDNS name in a serve config. */
const CERT_DOMAIN_PLACEHOLDER = ["$", "{TS_CERT_DOMAIN}"].join("");
const env = process.env;
const log = (line: string) => process.stdout.write(`boot: ${line}\n`);

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  return ["1", "true", "yes"].includes(value.toLowerCase());
}

/** `host:port` of a TS_LOCAL_ADDR_PORT; pods share this machine, so what would listen on all interfaces listens on loopback. */
function listenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(value);
  if (!match) throw new Error(`TS_LOCAL_ADDR_PORT is not host:port: ${value}`);
  const host = match[1] ?? match[2] ?? "";
  return { host: ["", "::", "0.0.0.0"].includes(host) ? "127.0.0.1" : host, port: Number(match[3]) };
}

/**
 * The serve config file as containerboot applies it (${TS_CERT_DOMAIN} replaced), with the pod's
 * container ports in forwards moved to the loopback ports the node agent gave them.
 */
export function localServeConfig(text: string, certDomain: string, ports: Map<number, number>): string {
  const config = JSON.parse(text.replaceAll(CERT_DOMAIN_PLACEHOLDER, certDomain)) as {
    TCP?: Record<string, { TCPForward?: string }>;
  };
  const rewrite = rewriter([], ports);
  for (const handler of Object.values(config.TCP ?? {})) {
    if (handler.TCPForward) handler.TCPForward = rewrite(handler.TCPForward);
  }
  return JSON.stringify(config);
}

/**
 * Where tailscaled listens: TS_SOCKET, or, when the node agent moved it into a pod folder too deep
 * for a unix socket's path, a short folder of this path's own under the system's temp folder (only
 * this container's tailscaled and tailscale use the socket).
 */
async function socketPath(wanted: string): Promise<string> {
  if (wanted.length <= MAX_SOCKET_PATH) return wanted;
  const hash = createHash("sha256").update(wanted).digest("hex").slice(0, 16);
  const dir = join("/tmp", `agentyard-tailscaled-${hash}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return join(dir, "tailscaled.sock");
}

function localPorts(): Map<number, number> {
  const pairs = Object.entries(JSON.parse(env[LOCAL_PORTS_ENV] || "{}") as Record<string, number>);
  return new Map(pairs.map(([k, v]) => [Number(k), v]));
}

async function main(): Promise<void> {
  if (!flag(env.TS_USERSPACE, true))
    throw new Error("agentyard-local runs tailscaled only with TS_USERSPACE=true");
  const extraArgs = (env.TS_EXTRA_ARGS ?? "").split(/\s+/).filter(Boolean);
  const loginServer = extraArgs.map((a) => /^--login-server=(.+)$/.exec(a)?.[1]).find((v) => v !== undefined);
  // Without one, tailscaled would go to Tailscale's own control server.
  if (!loginServer) throw new Error("TS_EXTRA_ARGS must name the local tailnet's --login-server=<url>");
  const wantedSocket = env.TS_SOCKET || join(process.cwd(), "tailscaled.sock");
  const socket = await socketPath(wantedSocket);
  if (socket !== wantedSocket) log(`socket ${wantedSocket} is too long for a unix socket: using ${socket}`);
  const stateDir = env.TS_STATE_DIR || join(process.cwd(), "tailscale-state");
  const daemonArgs = [
    ...tailscaledArgs({
      stateDir,
      socket,
      ...(env.TS_SOCKS5_SERVER ? { socks5: env.TS_SOCKS5_SERVER } : {}),
    }),
    ...(env.TS_TAILSCALED_EXTRA_ARGS ?? "").split(/\s+/).filter(Boolean),
  ];
  log(`starting tailscaled ${daemonArgs.join(" ")}`);
  // A process group of its own: the node agent stops a container with SIGTERM to its group, and
  // tailscaled must outlive this boot's logout (the node agent still kills it, by its environment's
  // marker, once the boot has exited).
  const daemon = spawn("tailscaled", daemonArgs, {
    env: { ...env, ...tailscaledEnv(loginServer, stateDir) },
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const daemonExit = new Promise<number>((resolve) => daemon.on("exit", (code) => resolve(code ?? 1)));
  let health: Server | undefined;
  let stopping = false;
  const cli = async (args: string[], input?: string) => {
    const child = run("tailscale", [`--socket=${socket}`, ...args], { timeout: 60_000 });
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout;
  };
  process.on("SIGTERM", () => {
    if (stopping) return;
    stopping = true;
    void shutdown(daemon, cli, health)
      .then(() =>
        socket !== wantedSocket ? rm(dirname(socket), { recursive: true, force: true }) : undefined,
      )
      .then(() => process.exit(0));
  });
  void daemonExit.then((code) => {
    if (stopping) return;
    log(`tailscaled exited with ${code}`);
    process.exit(code || 1);
  });

  await waitFor("tailscaled's socket", async () => (socketReady(socket) ? true : undefined), {
    timeoutMs: 60_000,
  });
  const authKey = env.TS_AUTHKEY || env.TS_AUTH_KEY;
  const upArgs = [
    "up",
    `--accept-dns=${flag(env.TS_ACCEPT_DNS, false)}`,
    ...(authKey ? [`--authkey=${authKey}`] : []),
    ...(env.TS_HOSTNAME ? [`--hostname=${env.TS_HOSTNAME}`] : []),
    ...extraArgs,
  ];
  log(`running tailscale up${env.TS_HOSTNAME ? ` as ${env.TS_HOSTNAME}` : ""}`);
  await cli(upArgs).catch((err: Error & { stderr?: string }) => {
    throw new Error(`tailscale up failed: ${(err.stderr || err.message).trim()}`);
  });
  const self = await waitFor(
    "a tailnet address",
    async () => {
      const status = JSON.parse(await cli(["status", "--json", "--peers=false"]));
      return status.BackendState === "Running" && status.Self?.TailscaleIPs?.length ? status.Self : undefined;
    },
    { timeoutMs: 60_000 },
  );
  const certDomain = String(self.DNSName).replace(/\.$/, "");
  log(`up as ${certDomain} (${self.TailscaleIPs.join(", ")})`);

  if (env.TS_SERVE_CONFIG) {
    const config = localServeConfig(await readFile(env.TS_SERVE_CONFIG, "utf8"), certDomain, localPorts());
    await cli(["serve", "set-raw"], config);
    log(`serve config applied: ${config}`);
  }
  if (flag(env.TS_ENABLE_HEALTH_CHECK, false)) {
    const { host, port } = listenAddress(env.TS_LOCAL_ADDR_PORT || "[::]:9002");
    health = createServer((req, res) => {
      if (req.method !== "GET" || req.url !== "/healthz") {
        res.writeHead(404).end();
        return;
      }
      cli(["status", "--json", "--peers=false"])
        .then((out) => JSON.parse(out).Self?.TailscaleIPs?.length > 0)
        .catch(() => false)
        .then((ok) => {
          if (ok) res.writeHead(200).end("ok");
          else res.writeHead(503).end("node currently has no tailscale IPs");
        });
    });
    health.listen(port, host, () => log(`health check at http://${host}:${port}/healthz`));
  }
}

/** Logs the node out (the control server forgets it), then stops tailscaled. */
async function shutdown(
  daemon: ChildProcess,
  cli: (args: string[]) => Promise<string>,
  health: Server | undefined,
): Promise<void> {
  health?.close();
  log("logging out");
  await cli(["logout"]).catch((err: Error) => log(`logout failed: ${err.message}`));
  // tailscale logout returns before the control server has heard of it; killed too early, the
  // daemon takes the logout with it and the node stays on the tailnet.
  await waitFor(
    "tailscaled to be logged out",
    async () => {
      const state = await cli(["status", "--json", "--peers=false"])
        .then((out) => JSON.parse(out).BackendState as string)
        .catch(() => "");
      log(`backend state: ${state}`);
      return state === "NeedsLogin" || state === "Stopped" ? true : undefined;
    },
    { timeoutMs: 10_000 },
  ).catch((err: Error) => log(err.message));
  daemon.kill("SIGTERM");
  await new Promise((resolve) =>
    daemon.exitCode !== null ? resolve(undefined) : daemon.on("exit", resolve),
  );
}

if (import.meta.main) {
  main().catch((err: Error) => {
    log(err.message);
    process.exit(1);
  });
}
