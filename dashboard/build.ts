import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import lockfile from "proper-lockfile";

const here = fileURLToPath(new URL(".", import.meta.url));
export const DIST = join(here, "dist");
/** The hash of the sources dist was built from: a fresh checkout has no meaningful mtimes. */
const STAMP = ".source-hash";

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * What the bundle is made of: the elements, static files, the page, the build's configuration, and
 * what they import from outside the dashboard (the schemas and the contract, the runtime's sleep).
 */
async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  const paths = [
    ...(await files(join(here, "src"))),
    ...(await files(join(here, "public"))),
    ...(await files(join(here, "..", "schema"))),
    join(here, "..", "packages", "kube-runtime", "src", "sleep.ts"),
    join(here, "index.html"),
    join(here, "vite.config.ts"),
  ];
  for (const path of paths) {
    hash
      .update(relative(here, path))
      .update("\0")
      .update(await readFile(path))
      .update("\0");
  }
  return hash.digest("hex");
}

async function isFresh(): Promise<boolean> {
  const stamp = await readFile(join(DIST, STAMP), "utf8").catch(() => "");
  return stamp === (await sourceHash());
}

/**
 * Builds dashboard/dist with vite into a fresh directory and swaps it in, so an api serving the old
 * build never sees a half-written one. Two processes (parallel test runs, `npm start`) take turns.
 */
export async function buildDashboard(log: (line: string) => void = () => {}): Promise<void> {
  const { build } = await import("vite");
  const hash = await sourceHash();
  const next = `${DIST}.next-${process.pid}`;
  const old = `${DIST}.old-${process.pid}`;
  log(`building the dashboard into ${relative(process.cwd(), DIST) || DIST}`);
  await build({ configFile: join(here, "vite.config.ts"), logLevel: "warn", build: { outDir: next } });
  await writeFile(join(next, STAMP), hash);
  if (existsSync(DIST)) await rename(DIST, old);
  await rename(next, DIST);
  await rm(old, { recursive: true, force: true });
}

/**
 * A build that was stopped (Ctrl-C, a killed process) leaves its `dist.next-<pid>` or
 * `dist.old-<pid>` behind; under the build lock no other build runs, so any such folder is one.
 */
async function removeLeftovers(): Promise<void> {
  for (const name of await readdir(here)) {
    if (/^dist\.(next|old)-\d+$/.test(name)) await rm(join(here, name), { recursive: true, force: true });
  }
}

/** Builds the dashboard when dist is missing or older than its sources; `npm start` and the tests call this. */
export async function ensureDashboard(log: (line: string) => void = () => {}): Promise<void> {
  if (await isFresh()) return;
  await mkdir(here, { recursive: true });
  const release = await lockfile.lock(here, {
    lockfilePath: join(here, ".build.lock"),
    retries: { retries: 120, minTimeout: 500, maxTimeout: 1000 },
  });
  try {
    if (!(await isFresh())) {
      await removeLeftovers();
      await buildDashboard(log);
    }
  } finally {
    await release();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildDashboard((line) => process.stderr.write(`${line}\n`));
}
