import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureGitea, type GiteaBinary } from "./gitea.ts";
import { GiteaApi, type GiteaUser, randomSecret } from "./gitea-api.ts";
import type { Log } from "./go-build.ts";
import { waitFor } from "./http.ts";
import { freePort } from "./ports.ts";
import { startProcessGroup } from "./process-group.ts";

export type { GiteaRepo, GiteaUser } from "./gitea-api.ts";
export { PULL_REQUEST_SCOPES } from "./gitea-api.ts";

const run = promisify(execFile);

/** What the harness's admin token may do: make users and repositories, and act on their pull requests. */
export const ADMIN_SCOPES = ["write:admin", "write:user", "write:repository", "write:issue"];
const ADMIN = "agentyard-admin";

export interface GiteaServer extends GiteaApi {
  /** `http://127.0.0.1:<port>`, Gitea's ROOT_URL without its trailing slash. */
  readonly url: string;
  readonly logFile: string;
  /** Stops Gitea's process group (the server and the git processes it runs). */
  stop(): Promise<void>;
}

export interface GiteaOptions {
  /** Where the SQLite database, the repositories, the logs and app.ini go. */
  dir: string;
  log?: Log;
  binary?: GiteaBinary;
  readyTimeoutMs?: number;
}

/**
 * app.ini for a Gitea that talks to nobody but the harness: loopback only, no mail, no sign-up, no
 * update check, no SSH, LFS, Actions or packages; SQLite in `dir`; the install wizard skipped.
 */
export function giteaConfig(options: { dir: string; port: number; staticRoot: string }): string {
  const { dir, port, staticRoot } = options;
  return `APP_NAME = agentyard test forge
RUN_MODE = prod
WORK_PATH = ${dir}

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
DOMAIN = 127.0.0.1
ROOT_URL = http://127.0.0.1:${port}/
APP_DATA_PATH = ${join(dir, "data")}
STATIC_ROOT_PATH = ${staticRoot}
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false

[database]
DB_TYPE = sqlite3
PATH = ${join(dir, "data", "gitea.db")}
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = ${join(dir, "repositories")}
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = ${randomSecret()}
INTERNAL_TOKEN = ${randomSecret()}

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
ENABLE_NOTIFY_MAIL = false
DEFAULT_KEEP_EMAIL_PRIVATE = true

[mailer]
ENABLED = false

[cron.update_checker]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[actions]
ENABLED = false

[packages]
ENABLED = false

[lfs]
PATH = ${join(dir, "data", "lfs")}

[log]
MODE = console
LEVEL = warn
ROOT_PATH = ${join(dir, "log")}
`;
}

/** Starts Gitea on a free loopback port with an admin user and token, and waits until it is healthy. */
export async function startGitea(options: GiteaOptions): Promise<GiteaServer> {
  const log = options.log ?? (() => {});
  const binary = options.binary ?? (await ensureGitea(log));
  const { dir } = options;
  await mkdir(join(dir, "data"), { recursive: true });
  await mkdir(join(dir, "custom", "conf"), { recursive: true });
  const port = await freePort();
  const config = join(dir, "custom", "conf", "app.ini");
  await writeFile(config, giteaConfig({ dir, port, staticRoot: binary.staticRoot }));
  const env: NodeJS.ProcessEnv = { ...process.env, GITEA_WORK_DIR: dir, HOME: join(dir, "home") };
  // Gitea refuses to run as root unless told it may; the test machines and CI containers run as root.
  if (process.getuid?.() === 0) env.GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = "true";
  const globalArgs = ["--config", config, "--work-path", dir];
  const cli = async (...args: string[]) =>
    (await run(binary.binary, [...globalArgs, ...args], { env, cwd: dir })).stdout;

  const logFile = join(dir, "gitea.log");
  const url = `http://127.0.0.1:${port}`;
  log(`[gitea] starting ${binary.version} on ${url} (data in ${dir})`);
  const server = startProcessGroup(binary.binary, [...globalArgs, "web"], { env, cwd: dir, logFile });
  try {
    await waitFor(
      `Gitea's /api/healthz on ${url}`,
      async () =>
        (await fetch(`${url}/api/healthz`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined,
      {
        timeoutMs: options.readyTimeoutMs ?? 60_000,
        abort: async () =>
          server.running ? undefined : `gitea exited; the end of ${logFile}:\n${await server.tail()}`,
      },
    );
    const password = randomSecret();
    await cli(
      "admin",
      "user",
      "create",
      "--admin",
      "--username",
      ADMIN,
      "--password",
      password,
      "--email",
      `${ADMIN}@agentyard.invalid`,
      "--must-change-password=false",
    );
    const generated = await cli(
      "admin",
      "user",
      "generate-access-token",
      "--username",
      ADMIN,
      "--token-name",
      "harness",
      "--scopes",
      ADMIN_SCOPES.join(","),
      "--raw",
    );
    // As root, Gitea prints its warning about that on stdout too: the token is the line that is one.
    const token = generated
      .split("\n")
      .map((line) => line.trim())
      .find((line) => /^[0-9a-f]{40}$/.test(line));
    if (!token) throw new Error(`gitea admin user generate-access-token printed no token: ${generated}`);
    const admin: GiteaUser = { username: ADMIN, password, token };
    return Object.assign(new GiteaApi(`${url}/api/v1`, admin), { url, logFile, stop: () => server.stop() });
  } catch (err) {
    await server.stop();
    throw err;
  }
}
