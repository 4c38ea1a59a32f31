import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import lockfile from "proper-lockfile";
import { goEnv } from "./go-env.ts";

/**
 * What every build from a Go wrapper module shares: running go with the cached environment, telling
 * the user how far a slow step has come, and one lock per cache key so that concurrent callers (test
 * workers, a second terminal) wait for one build instead of running several.
 */

export type Log = (line: string) => void;

/**
 * The cache key of a build from a wrapper module: its name and version, then a hash of Go's
 * version, the build's own inputs (its flags) and every file of the module, so that changing any
 * of them builds anew.
 */
export async function moduleCacheKey(
  name: string,
  version: string,
  moduleDir: string,
  inputs: string[] = [],
): Promise<string> {
  const hash = createHash("sha256");
  hash.update((await runGo("go", ["version"], moduleDir)).trim());
  for (const input of inputs) hash.update(input);
  const entries = await readdir(moduleDir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(moduleDir.length + 1))
    .sort();
  for (const file of files) hash.update(file).update(await readFile(join(moduleDir, file)));
  return `${name}-${version}-${hash.digest("hex").slice(0, 12)}`;
}

export function runGo(
  cmd: string,
  args: string[],
  cwd: string,
  onLine?: (line: string) => void,
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...goEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      err += text;
      if (err.length > 200_000) err = err.slice(-100_000);
      if (onLine) for (const line of text.split("\n")) if (line.trim()) onLine(line);
    });
    child.on("error", (e) => reject(new Error(`${cmd} could not start: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else
        reject(new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited with ${code}:\n${err.slice(-4000)}`));
    });
  });
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Runs one build step, telling the user what it does and how long it has taken so far (and, for go, how many packages it compiled). */
export async function step(
  log: Log,
  prefix: string,
  index: number,
  total: number,
  label: string,
  work: (tick: () => void) => Promise<void>,
) {
  const started = Date.now();
  let compiled = 0;
  log(`${prefix} step ${index}/${total}: ${label}`);
  const ticker = setInterval(() => {
    log(
      `${prefix}   ... ${label}: ${formatElapsed(Date.now() - started)} elapsed${compiled > 0 ? `, ${compiled} packages compiled` : ""}`,
    );
  }, 20_000);
  try {
    await work(() => {
      compiled++;
    });
  } finally {
    clearInterval(ticker);
  }
  log(`${prefix} step ${index}/${total} done in ${formatElapsed(Date.now() - started)}`);
}

/**
 * Makes `root/key` exist: when `marker` (a file inside it) is missing, takes the key's lock, looks
 * again, and runs `build(target)`, which must create the target atomically (build elsewhere, rename).
 */
export async function buildOnce(options: {
  root: string;
  key: string;
  marker: string;
  log: Log;
  prefix: string;
  build: (target: string) => Promise<void>;
}): Promise<string> {
  const target = join(options.root, options.key);
  if (await exists(join(target, options.marker))) return target;
  await mkdir(options.root, { recursive: true });
  const lock = (retries: number) =>
    lockfile.lock(options.root, {
      lockfilePath: join(options.root, `${options.key}.lock`),
      stale: 60_000,
      update: 10_000,
      retries: { retries, minTimeout: 1000, maxTimeout: 5000 },
      onCompromised: (err) => options.log(`${options.prefix} build lock lost: ${err.message}`),
    });
  const release = await lock(0).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ELOCKED") throw err;
    // Otherwise a second start would sit silent for as long as the first one's build takes.
    options.log(
      `${options.prefix} waiting for another process's build of ${options.key} (lock ${join(options.root, `${options.key}.lock`)})`,
    );
    return lock(1_000_000);
  });
  try {
    if (!(await exists(join(target, options.marker)))) {
      await removeLeftovers(options.root, options.key);
      await options.build(target);
    }
  } finally {
    await release();
  }
  return target;
}

/**
 * Builds write to `<key>.partial-*` beside their target and rename it into place; one that was
 * stopped (Ctrl-C, a killed process) leaves its partial folder behind. Under the key's lock no
 * other build of that key runs, so any such folder is a leftover.
 */
async function removeLeftovers(root: string, key: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (name.startsWith(`${key}.partial-`)) await rm(join(root, name), { recursive: true, force: true });
  }
}
