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

describe("a command that must not stop half-way", () => {
  it("survives the Ctrl-C a terminal sends to its job, and the program waits for it before exiting", async () => {
    dir = await mkdtemp(join(tmpdir(), "agentyard-uninterruptible-"));
    const fifo = join(dir, "go-on");
    const done = join(dir, "done");
    execFileSync("mkfifo", [fifo]);
    // In its own process group, as a shell runs a foreground job: a terminal's Ctrl-C goes to that group.
    parent = spawn(
      process.execPath,
      ["--input-type=module", "-e", PROGRAM(`read line < "${fifo}"; echo finished > "${done}"`)],
      {
        detached: true,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    parent.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => parent?.on("exit", (code) => resolve(code)));
    await waitFor("the program to start", async () => out.includes("started") || undefined, {
      timeoutMs: 15_000,
    });

    process.kill(-(parent.pid as number), "SIGINT");
    await waitFor(
      "the program to wait for its command",
      async () => out.includes("waiting for `sh -c") || undefined,
      {
        timeoutMs: 15_000,
      },
    );
    // The command is still there to be let go: its end of the fifo is open (ENXIO if it had died).
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(writer, "go on\n");
    closeSync(writer);

    expect(await exited).toBe(0);
    expect(await readFile(done, "utf8")).toBe("finished\n");
    expect(out.indexOf("exiting")).toBeGreaterThan(out.indexOf("waiting for"));
  }, 60_000);

  it("lets nothing follow a command that finished while the program was stopping (npm after apt-get)", async () => {
    dir = await mkdtemp(join(tmpdir(), "agentyard-uninterruptible-"));
    const fifo = join(dir, "go-on");
    const next = join(dir, "next-ran");
    execFileSync("mkfifo", [fifo]);
    parent = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        PROGRAM(`read line < "${fifo}"`, `read line < "${fifo}"; echo ran > "${next}"`),
      ],
      { detached: true, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    parent.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => parent?.on("exit", (code) => resolve(code)));
    await waitFor("the program to start", async () => out.includes("started") || undefined, {
      timeoutMs: 15_000,
    });
    process.kill(-(parent.pid as number), "SIGINT");
    await waitFor(
      "the program to wait for its command",
      async () => out.includes("waiting for") || undefined,
      {
        timeoutMs: 15_000,
      },
    );
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(writer, "go on\n");
    closeSync(writer);

    expect(await exited).toBe(0);
    expect(out).toContain("finished; going no further: this process is stopping");
    // Had it started, it would still be there: it waits on a fifo nobody writes.
    const strays = await commandsNaming(next);
    for (const stray of strays) process.kill(Number(stray.split(":")[0]), "SIGKILL");
    expect(strays).toEqual([]);
  }, 60_000);
});
