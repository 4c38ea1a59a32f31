import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Log } from "./go-build.ts";
import { waitFor } from "./http.ts";
import { freePort } from "./ports.ts";
import { type ProcessGroup, startProcessGroup } from "./process-group.ts";
import { ensureTailscale, type TailscaleBinaries } from "./tailscale.ts";
import { socketReady, tailscaledArgs, tailscaledEnv } from "./tailscale-env.ts";

const run = promisify(execFile);

/** The MagicDNS suffix of the local tailnet: nodes are `<hostname>.tailnet.agentyard.test`. */
export const TAILNET_DOMAIN = "tailnet.agentyard.test";

export interface Tailnet {
  controlUrl: string;
  /** The pre-auth key the control server requires of every node. */
  authKey: string;
  /** The MagicDNS suffix. */
  domain: string;
  binaries: TailscaleBinaries;
  stop(): Promise<void>;
}

/** What `tailscale status --json` tells, as far as the devcluster reads it. */
export interface TailnetStatus {
  BackendState: string;
  Self?: { HostName: string; DNSName: string; TailscaleIPs?: string[] | null };
  Peer?: Record<string, { HostName: string; DNSName: string; TailscaleIPs?: string[] | null }> | null;
}

export interface TailnetNode {
  hostname: string;
  /** The MagicDNS name, without the trailing dot. */
  fqdn: string;
  /** `socks5://127.0.0.1:<port>`: tailscaled's SOCKS5 proxy, which resolves MagicDNS names. */
  socks5Url?: string;
  status(): Promise<TailnetStatus>;
  /** `tailscale serve --bg --tcp=<port> tcp://127.0.0.1:<targetPort>`: the node's port reaches a local one. */
  serveTcp(port: number, targetPort: number): Promise<void>;
  /** Logs the node out: the control server forgets it and the other nodes no longer see it. */
  logout(): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

function envFor(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME };
}

/** The control server (testcontrol with DERP and STUN) on 127.0.0.1, its log in `dir`/control.log. */
export async function startTailnet(options: { dir: string; log?: Log }): Promise<Tailnet> {
  const binaries = await ensureTailscale(options.log);
  await mkdir(options.dir, { recursive: true });
  const authKey = `tskey-auth-local-${randomBytes(16).toString("hex")}`;
  const logFile = join(options.dir, "control.log");
  const proc = startProcessGroup(binaries.control, ["--auth-key", authKey, "--domain", TAILNET_DOMAIN], {
    env: envFor(),
    cwd: options.dir,
    logFile,
  });
  try {
    const ready = await waitFor(
      "the tailnet control server",
      async () => {
        const line = (await readFile(logFile, "utf8")).split("\n").find((l) => l.startsWith('{"controlUrl"'));
        return line ? (JSON.parse(line) as { controlUrl: string; domain: string }) : undefined;
      },
      { timeoutMs: READY_TIMEOUT_MS, abort: exitedAbort(proc, "the control server") },
    );
    options.log?.(`[tailnet] control server at ${ready.controlUrl}`);
    return { controlUrl: ready.controlUrl, authKey, domain: ready.domain, binaries, stop: () => proc.stop() };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

function exitedAbort(proc: ProcessGroup, what: string): () => Promise<string | undefined> {
  return async () => (proc.running ? undefined : `${what} exited; its log ends:\n${await proc.tail()}`);
}

/**
 * A tailscaled in `dir` (state, socket, log) joined to the tailnet as `hostname` with `authKey`;
 * with `socks5`, its SOCKS5 proxy listens on a free loopback port. A refused key is an error that
 * quotes tailscale up and the daemon's log, and leaves no process behind.
 */
export async function startTailnetNode(options: {
  tailnet: Tailnet;
  dir: string;
  hostname: string;
  authKey: string;
  socks5?: boolean;
  log?: Log;
}): Promise<TailnetNode> {
  const { tailnet, dir, hostname } = options;
  const stateDir = join(dir, "state");
  await mkdir(stateDir, { recursive: true });
  const socket = join(dir, "tailscaled.sock");
  const socks5 = options.socks5 ? `127.0.0.1:${await freePort()}` : undefined;
  const daemon = startProcessGroup(
    tailnet.binaries.tailscaled,
    tailscaledArgs({ stateDir, socket, ...(socks5 ? { socks5 } : {}) }),
    {
      env: { ...envFor(), ...tailscaledEnv(tailnet.controlUrl, dir) },
      cwd: dir,
      logFile: join(dir, "tailscaled.log"),
    },
  );
  const cli = async (args: string[]): Promise<string> =>
    (
      await run(tailnet.binaries.tailscale, [`--socket=${socket}`, ...args], {
        env: envFor(),
        timeout: READY_TIMEOUT_MS,
      })
    ).stdout;
  const status = async () => JSON.parse(await cli(["status", "--json"])) as TailnetStatus;
  try {
    await waitFor(
      `tailscaled's socket for ${hostname}`,
      async () => (socketReady(socket) ? true : undefined),
      {
        timeoutMs: READY_TIMEOUT_MS,
        abort: exitedAbort(daemon, `tailscaled for ${hostname}`),
      },
    );
    await cli([
      "up",
      `--login-server=${tailnet.controlUrl}`,
      `--authkey=${options.authKey}`,
      `--hostname=${hostname}`,
      "--accept-dns=false",
      "--timeout=60s",
    ]).catch(async (err: Error & { stderr?: string }) => {
      throw new Error(
        `tailscale up for ${hostname} failed: ${(err.stderr || err.message).trim()}\ntailscaled's log ends:\n${await daemon.tail(15)}`,
      );
    });
    const self = await waitFor(
      `${hostname} to have a tailnet address`,
      async () => {
        const s = await status();
        return s.BackendState === "Running" && s.Self?.TailscaleIPs?.length ? s.Self : undefined;
      },
      { timeoutMs: READY_TIMEOUT_MS, abort: exitedAbort(daemon, `tailscaled for ${hostname}`) },
    );
    const fqdn = self.DNSName.replace(/\.$/, "");
    options.log?.(`[tailnet] ${fqdn} joined (${self.TailscaleIPs?.join(", ")})`);
    return {
      hostname,
      fqdn,
      ...(socks5 ? { socks5Url: `socks5://${socks5}` } : {}),
      status,
      serveTcp: async (port, targetPort) => {
        await cli(["serve", "--bg", `--tcp=${port}`, `tcp://127.0.0.1:${targetPort}`]);
      },
      logout: async () => {
        await cli(["logout"]);
      },
      stop: () => daemon.stop(),
    };
  } catch (err) {
    await daemon.stop();
    throw err;
  }
}
