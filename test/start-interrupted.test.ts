import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIST, ensureDashboard } from "../dashboard/build.ts";
import { CODE_SERVER_BUILD, type DebianPackage } from "../devcluster/debian.ts";
import { waitFor } from "../devcluster/http.ts";
import { cacheRoot, projectRoot } from "../devcluster/paths.ts";
import { type OverlayRoot, overlayRoot } from "./support/overlay-root.ts";

const CLI = join(projectRoot, "cli", "agentyard.ts");

let work: string;
let env: NodeJS.ProcessEnv;
let running: ChildProcess | undefined;
let root: OverlayRoot;

/** The Debian package of code-server's build that the test takes away, and the file it is known by. */
const TAKEN = CODE_SERVER_BUILD.find((pkg) => pkg.file) as Required<Pick<DebianPackage, "name" | "file">>;

/**
 * A machine that has never run agentyard, but for the control plane (ten minutes to build, keyed by
 * version: reused): an empty cache, so code-server and tailscale are installed by the first start,
 * and a dev state folder of its own. Go's module and build caches are shared (Go keeps them safe
 * for concurrent builds), so tailscale's build links what other suites compiled. The starts run in
 * a private view of /usr, /var and the dashboard's folder, where the test can take a Debian package
 * or the dashboard's bundle away without touching the machine the other suites use.
 */
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-first-start-"));
  await mkdir(join(work, "cache", "agentyard"), { recursive: true });
  await symlink(join(cacheRoot(), "bin"), join(work, "cache", "agentyard", "bin"));
  await mkdir(join(cacheRoot(), "go"), { recursive: true });
  await symlink(join(cacheRoot(), "go"), join(work, "cache", "agentyard", "go"));
  // The view's lower layer must not change under it: the real bundle is built first, once.
  await ensureDashboard();
  root = await overlayRoot(join(work, "view"), ["/usr", "/var", join(projectRoot, "dashboard")]);
  env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AGENTYARD_"))),
    XDG_CACHE_HOME: join(work, "cache"),
    AGENTYARD_DEV_DIR: join(work, "dev"),
  };
});

afterAll(async () => {
  if (running?.exitCode === null) running.kill("SIGKILL");
  if (work) await rm(work, { recursive: true, force: true });
});

interface Start {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a terminal runs it, in the test's view: a job in a process group of its own. */
function start(flags: string[] = []): Start {
  const { file, args } = root.wrap([
    process.execPath,
    CLI,
    "start",
    "--listen",
    "127.0.0.1:0",
    "--log-format",
    "json",
    ...flags,
  ]);
  const child = spawn(file, args, {
    cwd: projectRoot,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running = child;
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * Waits for `text` in the output; a failure shows the output's end, which tells where it stopped.
 * The starts log JSON, where a progress line `[tailscale] step 2/3` is
 * `"component":"tailscale","msg":"step 2/3`.
 */
const said = (s: Start, text: string, timeoutMs: number) =>
  waitFor(`npm start to say "${text}"`, async () => (s.output().includes(text) ? true : undefined), {
    timeoutMs,
    abort: async () => {
      if (s.child.exitCode !== null) return `it exited with ${s.child.exitCode}`;
      // npm start goes on without an editor when the install fails; the test need not wait for it.
      return s.output().includes('"component":"code-server","msg":"install failed')
        ? "the code-server install failed"
        : undefined;
    },
  }).catch((err: Error) => {
    throw new Error(`${err.message}\nits output ends:\n${s.output().slice(-3000)}`);
  });

/** Ctrl-C at the keyboard: SIGINT to the whole job. It must stop cleanly, leaving nothing running. */
async function interrupt(s: Start): Promise<void> {
  process.kill(-(s.child.pid as number), "SIGINT");
  const code = await Promise.race([
    s.exited,
    new Promise<string>((resolve) => setTimeout(() => resolve("still running"), 120_000).unref()),
  ]);
  expect(code, s.output().slice(-3000)).toBe(0);
  expect(await processesIn(work), "processes of the interrupted start still running").toEqual([]);
}

/**
 * Processes that name `dir` on their command line or work in it: npm and the compilers its install
 * scripts run name no path of it, but run inside the install's folder.
 */
async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
    const command = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " ");
    if (cwd.startsWith(dir) || command.includes(dir)) found.push(`${pid} (in ${cwd}): ${command.trim()}`);
  }
  return found;
}

/**
 * apt-get and dpkg still running in a view of a test's (a mount namespace other than this
 * process's): one an interrupted start left to run on after it had gone.
 */
async function packageToolsInViews(): Promise<string[]> {
  const ours = await readlink("/proc/self/ns/mnt");
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
    if (!/^(apt-get|apt|dpkg|http)$/.test(comm)) continue;
    const ns = await readlink(`/proc/${pid}/ns/mnt`).catch(() => ours);
    if (ns !== ours) found.push(`${pid}: ${comm}`);
  }
  return found;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe("a first npm start interrupted at each step", () => {
  it("stops cleanly each time, and the next start installs what is missing and runs", {
    timeout: 30 * 60_000,
  }, async () => {
    const whileStarting = start();
    await said(whileStarting, "starting the control plane", 60_000);
    await interrupt(whileStarting);

    // A Go build (tailscale's, which `--tailnet` needs): go stops with the job, its folder stays half-built.
    const whileBuilding = start(["--tailnet"]);
    await said(whileBuilding, '"component":"tailscale","msg":"step 2/3', 5 * 60_000);
    await interrupt(whileBuilding);

    await root.sh(`rm -rf "${DIST}"`);
    const whileBundling = start();
    await said(whileBundling, "building the dashboard", 5 * 60_000);
    await interrupt(whileBundling);

    // apt-get installs what code-server's build needs; a Ctrl-C must not stop dpkg half-way.
    await root.sh(`dpkg --purge --force-depends ${TAKEN.name} >/dev/null 2>&1`);
    expect(await root.sh(`test -e ${TAKEN.file} || echo missing`)).toBe("missing\n");
    const whileApt = start();
    await said(whileApt, '"component":"debian","msg":"apt-get install -y', 5 * 60_000);
    await interrupt(whileApt);
    expect(await packageToolsInViews(), "apt-get or dpkg left running").toEqual([]);
    expect(await root.sh("ls -A /var/lib/dpkg/updates; dpkg --audit"), "dpkg left half-configured").toBe("");
    expect(await root.sh(`test -e ${TAKEN.file} && echo present`)).toBe("present\n");

    const whileInstalling = start();
    await said(whileInstalling, "npm install code-server@", 5 * 60_000);
    await interrupt(whileInstalling);

    const last = start(["--tailnet"]);
    await said(last, "agentyard is running", 10 * 60_000);
    await said(last, "code-server installed in", 15 * 60_000);
    const cache = join(work, "cache", "agentyard");
    const leftovers = [...(await readdir(cache)), ...(await readdir(join(cache, "tailscale")))].filter(
      (name) => name.includes(".partial-"),
    );
    expect(leftovers).toEqual([]);
    expect((await readdir(cache)).some((name) => name.startsWith("code-server-"))).toBe(true);
    const dashboard = await root.sh(
      `ls -A "${join(DIST, "..")}"; test -s "${join(DIST, "index.html")}" && echo built`,
    );
    expect(dashboard.split("\n").filter((name) => /^dist\./.test(name))).toEqual([]);
    expect(dashboard).toContain("built");

    // agentyard run and friends find this run's api and token without being told.
    const tasks = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [CLI, "tasks"], { env }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(tasks.code, tasks.stderr).toBe(0);
    expect(tasks.stdout).toMatch(/^NAMESPACE\s+NAME\s+ORG\s+PHASE/);

    await interrupt(last);
    expect(await exists(join(work, "dev", "api.json"))).toBe(false);
  });
});
