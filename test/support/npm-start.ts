import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../devcluster/http.ts";
import { projectRoot } from "../../devcluster/paths.ts";

export const CLI = join(projectRoot, "cli", "agentyard.ts");

/** What `npm start` writes for `agentyard run` and friends: its api, token and, under --tls, CA. */
export interface DevApiInfo {
  url: string;
  token: string;
  ca?: string;
}

/** One `npm start` (the CLI's start, as npm runs it), with a dev state folder of its own. */
export interface RunningStart {
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** The environment it runs in: give it to other CLI commands so they find this run. */
  env: NodeJS.ProcessEnv;
  devApi(): Promise<DevApiInfo>;
  /** A request to this run's api with its token (plain HTTP: not for a run under --tls). */
  request(method: string, path: string, body?: unknown): Promise<Response>;
  /** Runs `agentyard <args>` against this run. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Ctrl-C, then waits for it to stop; its folder goes too. */
  stop(): Promise<void>;
}

/**
 * Starts `agentyard start <flags>` on a port of its own with this machine's caches and waits until
 * it says it is running. Slow first builds (Gitea, tailscale) happen inside `timeoutMs`.
 */
export async function startAgentyard(
  name: string,
  flags: string[],
  { timeoutMs }: { timeoutMs: number },
): Promise<RunningStart> {
  const work = await mkdtemp(join(tmpdir(), `agentyard-${name}-`));
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AGENTYARD_"))),
    AGENTYARD_DEV_DIR: join(work, "dev"),
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, "start", ...flags, "--listen", "127.0.0.1:0", "--log-format", "json"],
    { cwd: projectRoot, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-(child.pid as number), "SIGINT");
      await waitFor("npm start to stop", async () => (child.exitCode === null ? undefined : true), {
        timeoutMs: 120_000,
      }).catch(() => process.kill(-(child.pid as number), "SIGKILL"));
    }
    await rm(work, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `npm start ${flags.join(" ")} to run`,
      async () => (output.includes("agentyard is running") ? true : undefined),
      {
        timeoutMs,
        abort: async () =>
          child.exitCode === null ? undefined : `it exited with ${child.exitCode}: ${output.slice(-3000)}`,
      },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const devApi = async () => JSON.parse(await readFile(join(work, "dev", "api.json"), "utf8")) as DevApiInfo;
  return {
    output: () => output,
    env,
    devApi,
    request: async (method, path, body) => {
      const { url, token } = await devApi();
      return fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    },
    cli: (args) =>
      new Promise((resolve) =>
        execFile(process.execPath, [CLI, ...args], { env, cwd: projectRoot }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
        ),
      ),
    stop,
  };
}
