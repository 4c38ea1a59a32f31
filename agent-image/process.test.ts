import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { startGroup } from "./process.ts";

function run(script: string) {
  let out = "";
  const group = startGroup(["sh", "-c", script], {
    cwd: "/",
    env: { PATH: process.env.PATH },
    onStdout: (t) => {
      out += t;
    },
    onStderr: (t) => {
      out += t;
    },
    killGraceMs: 2_000,
  });
  return { group, output: () => out };
}

async function alive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}

describe("startGroup", { timeout: 20_000 }, () => {
  it("reports exit codes, and signals as a shell does", async () => {
    expect(await run("exit 7").group.exited).toEqual({ code: 7 });
    expect(await run("kill -TERM $$").group.exited).toEqual({ code: 143, signal: "SIGTERM" });
    const missing = startGroup(["/nonexistent/agent"], {
      cwd: "/",
      env: {},
      onStdout: () => {},
      onStderr: () => {},
      killGraceMs: 100,
    });
    expect(await missing.spawned).toBeUndefined();
    expect(await missing.exited).toMatchObject({
      code: 127,
      error: expect.stringContaining("/nonexistent/agent"),
    });
  });

  it("delivers all output, and ends what the program left running in the background", async () => {
    const { group, output } = run("sleep 300 & echo $!; echo done >&2");
    const exit = await group.exited;
    expect(exit.code).toBe(0);
    const [pid] = output().split("\n");
    expect(output()).toContain("done\n");
    expect(await alive(Number(pid))).toBe(false);
  });

  it("stops the whole group on request", async () => {
    const { group, output } = run("sleep 300 & echo $!; wait");
    const pid = await group.spawned;
    expect(pid).toBeGreaterThan(0);
    await waitFor("the background pid", async () => (output().includes("\n") ? true : undefined), {
      intervalMs: 10,
    });
    expect((await group.stop()).code).toBe(143);
    expect(await alive(Number(output().trim()))).toBe(false);
  });
});
