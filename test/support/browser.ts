import { type Browser, chromium } from "playwright-core";
import { CHROMIUM, ensureDebianPackages } from "../../devcluster/debian.ts";

/** Installs Debian's chromium package when it is missing (the tests run as root, as CI does). */
export function ensureChromium(log: (line: string) => void = () => {}): Promise<void> {
  return ensureDebianPackages([CHROMIUM], log);
}

/** Headless Chromium, quiet on the network: it talks to loopback only. */
export async function launchBrowser(): Promise<Browser> {
  await ensureChromium();
  // playwright gives every launch a fresh temporary --user-data-dir, and every context its own storage.
  return chromium.launch({
    executablePath: CHROMIUM.file,
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
