import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../devcluster/child-env.ts";
import type { CodeServer } from "../devcluster/code-server.ts";
import { projectRoot } from "../devcluster/paths.ts";
import { expectServing, startCodeServer } from "./support/code-server.ts";

const run = promisify(execFile);

/**
 * A person's terminal: the machine's PATH (its own npm and node, whatever their version) with none
 * of the variables that the `npm test` running this file put there.
 */
function userShell(cache: string): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.includes("node_modules"))
    .join(delimiter);
  return { ...cleanEnv(), PATH: path, XDG_CACHE_HOME: cache };
}

let cache: string;

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "agentyard-first-run-"));
});

afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});

describe("code-server on a machine that never had it", () => {
  it("installs through the machine's npm into an empty cache, and the editor answers", {
    timeout: 30 * 60_000,
  }, async () => {
    const env = userShell(cache);
    // The same install `npm start` runs for its editors, started the way a person starts npm start.
    const { stdout } = await run("npm", ["run", "--silent", "agentyard", "--", "dev", "code-server"], {
      cwd: projectRoot,
      env,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((err: Error & { stderr?: string }) => {
      throw new Error(
        `npm run agentyard -- dev code-server failed:\n${err.stderr?.slice(-6000) ?? err.message}`,
      );
    });
    const installed = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as CodeServer;
    expect(installed.dir.startsWith(join(cache, "agentyard"))).toBe(true);
    expect(await readdir(join(cache, "agentyard"))).toContain(installed.dir.split("/").at(-1));

    const home = await mkdtemp(join(cache, "home-"));
    const editor = await startCodeServer(installed, home, "first-run");
    try {
      await expectServing(editor.base);
    } finally {
      editor.stop();
    }
  });
});
