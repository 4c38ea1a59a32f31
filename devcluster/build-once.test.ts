import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildOnce } from "./go-build.ts";

describe("buildOnce", () => {
  const roots: string[] = [];
  afterEach(async () => {
    for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
  });

  it("builds a key once for concurrent callers, and says so to the one that waits", async () => {
    const root = await mkdtemp(join(tmpdir(), "build-once-"));
    roots.push(root);
    let builds = 0;
    let finish: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const build = async (target: string) => {
      builds++;
      await gate;
      await mkdir(target);
      await writeFile(join(target, "done"), "");
    };
    const first: string[] = [];
    const second: string[] = [];
    const options = { root, key: "thing-1", marker: "done", prefix: "[thing]", build };
    const a = buildOnce({ ...options, log: (line) => first.push(line) });
    await expect.poll(() => builds).toBe(1);
    const b = buildOnce({ ...options, log: (line) => second.push(line) });
    await expect.poll(() => second.join("\n")).toMatch(/waiting for another process's build of thing-1/);
    finish();
    expect(await a).toBe(join(root, "thing-1"));
    expect(await b).toBe(join(root, "thing-1"));
    expect(builds).toBe(1);
    expect(first).toEqual([]);
    expect((await readdir(root)).sort()).toEqual(["thing-1"]);
  });
});
