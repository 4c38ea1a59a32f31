import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium: playwright's own browser builds cannot be downloaded here, nor on CI. */
export const CHROMIUM = process.env.AGENTYARD_CHROMIUM ?? "/usr/bin/chromium";

const run = promisify(execFile);

/** Installs Debian's chromium package when it is missing (the tests run as root, as CI does). */
export async function ensureChromium(log: (line: string) => void = () => {}): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  log("installing Debian's chromium for the browser tests");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update"], { env, maxBuffer: 64 * 1024 * 1024 });
  await run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is not there`);
}

/** Headless Chromium, quiet on the network: it talks to loopback only. */
export async function launchBrowser(): Promise<Browser> {
  await ensureChromium();
  // playwright gives every launch a fresh temporary --user-data-dir, and every context its own storage.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
