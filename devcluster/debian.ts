import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import lockfile from "proper-lockfile";
import { cleanEnv } from "./child-env.ts";
import { exists, type Log } from "./go-build.ts";
import { runToCompletion, StoppingError } from "./uninterruptible.ts";

const run = promisify(execFile);

/** A Debian package and how to tell that it is there without asking dpkg. */
export interface DebianPackage {
  name: string;
  /** A file the package installs, or a command it puts on PATH. */
  file?: string;
  command?: string;
}

async function present(pkg: DebianPackage): Promise<boolean> {
  if (pkg.file) return exists(pkg.file);
  const command = pkg.command ?? pkg.name;
  return run("sh", ["-c", 'command -v "$1"', "sh", command]).then(
    () => true,
    () => false,
  );
}

/** The packages of `wanted` that this machine lacks. */
export async function missingPackages(wanted: DebianPackage[]): Promise<string[]> {
  const found = await Promise.all(wanted.map(present));
  return wanted.filter((_, i) => !found[i]).map((pkg) => pkg.name);
}

/** The one command that repairs a package database an interrupted dpkg left behind. */
export const DPKG_REPAIR = "dpkg --configure -a";

/**
 * dpkg journals each package it is unpacking or configuring in `updates/` and empties it when done:
 * entries there mean a dpkg run stopped half-way, and apt-get refuses to work until it is repaired.
 */
export async function dpkgInterrupted(adminDir = "/var/lib/dpkg"): Promise<boolean> {
  const entries = await readdir(`${adminDir}/updates`).catch(() => [] as string[]);
  return entries.some((name) => /^\d+$/.test(name));
}

/**
 * Installs what `wanted` lacks with apt-get, as root (a fresh machine, CI); elsewhere it fails with
 * the command to run. One lock for every caller: test files that start at once would otherwise
 * fight over dpkg's lock, and the loser fails.
 */
export async function ensureDebianPackages(
  wanted: DebianPackage[],
  log: Log = () => {},
  options: { dpkgAdminDir?: string } = {},
): Promise<void> {
  if ((await missingPackages(wanted)).length === 0) return;
  // dpkg is the machine's, whatever cache a caller uses: so is the lock.
  const root = tmpdir();
  const release = await lockfile.lock(root, {
    lockfilePath: join(root, "agentyard-apt-get.lock"),
    stale: 60_000,
    update: 10_000,
    retries: { retries: 1_000_000, minTimeout: 500, maxTimeout: 3000 },
  });
  try {
    const missing = await missingPackages(wanted);
    if (missing.length === 0) return;
    const command = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
    const sudo = process.getuid?.() === 0 ? "" : "sudo ";
    if (await dpkgInterrupted(options.dpkgAdminDir)) {
      throw new Error(
        `an earlier package install was interrupted and dpkg is half-configured: run \`${sudo}${DPKG_REPAIR}\`, then start again (this needs ${missing.join(", ")})`,
      );
    }
    if (sudo) throw new Error(`this needs the Debian packages ${missing.join(", ")}: sudo ${command}`);
    const aptOptions = { env: cleanEnv({ DEBIAN_FRONTEND: "noninteractive" }), maxBuffer: 64 * 1024 * 1024 };
    const started = Date.now();
    // Never half-way: a Ctrl-C of the caller waits for these to finish (uninterruptible.ts).
    log(`[debian] apt-get update (then ${command})`);
    await runToCompletion("apt-get", ["update"], aptOptions);
    log(`[debian] ${command}`);
    await runToCompletion(
      "apt-get",
      ["install", "-y", "--no-install-recommends", ...missing],
      aptOptions,
    ).catch((err: Error & { stderr?: string }) => {
      if (err instanceof StoppingError) throw err;
      throw new Error(`${command} failed: ${err.stderr?.slice(-2000) || err.message}`);
    });
    log(`[debian] installed ${missing.join(", ")} in ${Math.round((Date.now() - started) / 1000)}s`);
    const still = await missingPackages(wanted);
    if (still.length > 0)
      throw new Error(`apt-get installed ${missing.join(", ")}, but ${still.join(", ")} is still missing`);
  } finally {
    await release();
  }
}

/** Debian's Chromium, for the dashboard's browser tests: playwright's own builds cannot be downloaded. */
export const CHROMIUM: DebianPackage = {
  name: "chromium",
  file: process.env.AGENTYARD_CHROMIUM ?? "/usr/bin/chromium",
};

/** For the test that scripts/ are clean. */
export const SHELLCHECK: DebianPackage = { name: "shellcheck" };

/** Debian packages that code-server's native modules (kerberos, node-pty, sqlite) build with. */
export const CODE_SERVER_BUILD: DebianPackage[] = [
  { name: "libkrb5-dev", file: "/usr/include/gssapi/gssapi.h" },
  { name: "g++" },
  { name: "make" },
  { name: "python3" },
];

/** Gitea's SQLite driver is C: its build needs a C compiler and libc's headers. */
export const GITEA_BUILD: DebianPackage[] = [
  { name: "gcc" },
  { name: "libc6-dev", file: "/usr/include/stdio.h" },
];

/** Everything the project installs from Debian when it is missing: `agentyard dev packages`. */
export const PROJECT_PACKAGES: DebianPackage[] = [...CODE_SERVER_BUILD, ...GITEA_BUILD, CHROMIUM, SHELLCHECK];
