import { spawn } from "node:child_process";
import { expect } from "vitest";
import type { CodeServer } from "../../devcluster/code-server.ts";
import { waitFor } from "../../devcluster/http.ts";
import { freePort } from "../../devcluster/ports.ts";

/**
 * code-server's answers that show it serves and asks for the password before anything else. Any
 * request but /healthz counts as activity, after which /healthz says "alive" (before: "expired").
 */
export async function expectServing(base: string): Promise<void> {
  const root = await waitFor(
    `code-server to answer at ${base}/`,
    () => fetch(`${base}/`, { redirect: "manual" }).then((res) => (res.status === 302 ? res : undefined)),
    { timeoutMs: 60_000 },
  );
  expect(root.headers.get("location")).toMatch(/\/login/);
  const health = await fetch(`${base}/healthz`);
  expect(await health.json()).toMatchObject({ status: "alive" });
}

/** code-server on a free loopback port behind `password`, until `stop`; it dies with this process. */
export async function startCodeServer(
  codeServer: CodeServer,
  home: string,
  password: string,
): Promise<{ base: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(
    "setpriv",
    [
      "--pdeathsig",
      "SIGKILL",
      "--",
      codeServer.node,
      codeServer.entry,
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--auth",
      "password",
      "--disable-telemetry",
      "--disable-update-check",
      home,
    ],
    { env: { ...process.env, PASSWORD: password, HOME: home }, stdio: "ignore", detached: true },
  );
  return { base: `http://127.0.0.1:${port}`, stop: () => process.kill(-(child.pid as number), "SIGKILL") };
}
