import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./http.ts";

const MODULE = join(import.meta.dirname, "uninterruptible.ts");
let dir: string | undefined;
let parent: ChildProcess | undefined;

afterEach(async () => {
  parent?.kill("SIGKILL");
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Processes whose command line names `path`. */
async function commandsNaming(path: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (command.includes(path)) found.push(`${pid}: ${command.replaceAll("\0", " ")}`);
  }
  return found;
}

/**
 * A program that starts `command` through runToCompletion, then `then` as an ordinary child (as
 * code-server's install runs npm after apt-get), and on Ctrl-C waits for the first as npm start does.
 */
const PROGRAM = (command: string, then = "") => `
import { spawn } from "node:child_process";
import { runToCompletion, settleUninterruptible } from ${JSON.stringify(MODULE)};
void runToCompletion("sh", ["-c", ${JSON.stringify(command)}])
  .then(() => spawn("sh", ["-c", ${JSON.stringify(then)}], { stdio: "ignore" }))
  .catch((err) => console.log(err.message));
process.on("SIGINT", async () => {
  await settleUninterruptible((line) => console.log(line));
  console.log("exiting");
  process.exit(0);
});
console.log("started");
setInterval(() => {}, 1000);
`;

/**
 * Runs PROGRAM(first, then) on a fifo, in its own process group as a shell runs a foreground job (a
 * terminal's Ctrl-C goes to that group), sends the Ctrl-C once it has started, and lets the first
 * command finish once the program says it waits for it. Its end of the fifo must still be open
 * (ENXIO if the command had died).
 */
async function interruptWhileRunning(
  first: (fifo: string) => string,
  then: (fifo: string) => string = () => "",
): Promise<{ code: number | null; out: string }> {
  dir = await mkdtemp(join(tmpdir(), "agentyard-uninterruptible-"));
  const fifo = join(dir, "go-on");
  execFileSync("mkfifo", [fifo]);
  const child = spawn(process.execPath, ["--input-type=module", "-e", PROGRAM(first(fifo), then(fifo))], {
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  parent = child;
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await waitFor("the program to start", async () => out.includes("started") || undefined, {
    timeoutMs: 15_000,
  });
  process.kill(-(child.pid as number), "SIGINT");
  await waitFor(
    "the program to wait for its command",
    async () => out.includes("waiting for `sh -c") || undefined,
    { timeoutMs: 15_000 },
  );
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  writeSync(writer, "go on\n");
  closeSync(writer);
  return { code: await exited, out };
}

describe("a command that must not stop half-way", () => {
  it("survives the Ctrl-C a terminal sends to its job, and the program waits for it before exiting", async () => {
    const done = () => join(dir as string, "done");
    const { code, out } = await interruptWhileRunning(
      (fifo) => `read line < "${fifo}"; echo finished > "${done()}"`,
    );
    expect(code).toBe(0);
    expect(await readFile(done(), "utf8")).toBe("finished\n");
    expect(out.indexOf("exiting")).toBeGreaterThan(out.indexOf("waiting for"));
  }, 60_000);

  it("lets nothing follow a command that finished while the program was stopping (npm after apt-get)", async () => {
    const next = () => join(dir as string, "next-ran");
    const { code, out } = await interruptWhileRunning(
      (fifo) => `read line < "${fifo}"`,
      (fifo) => `read line < "${fifo}"; echo ran > "${next()}"`,
    );
    expect(code).toBe(0);
    expect(out).toContain("finished; going no further: this process is stopping");
    // Had it started, it would still be there: it waits on a fifo nobody writes.
    const strays = await commandsNaming(next());
    for (const stray of strays) process.kill(Number(stray.split(":")[0]), "SIGKILL");
    expect(strays).toEqual([]);
  }, 60_000);
});
