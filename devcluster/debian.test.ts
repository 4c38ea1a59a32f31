import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DPKG_REPAIR, dpkgInterrupted, ensureDebianPackages, missingPackages } from "./debian.ts";

describe("missingPackages", () => {
  it("finds a package by the file it installs or the command it puts on PATH", async () => {
    expect(
      await missingPackages([
        { name: "coreutils", command: "ls" },
        { name: "no-such-file", file: "/nonexistent/agentyard/header.h" },
        { name: "no-such-command-agentyard" },
      ]),
    ).toEqual(["no-such-file", "no-such-command-agentyard"]);
  });

  it("does not run a command name as shell code", async () => {
    expect(await missingPackages([{ name: "x", command: "ls; exit 0" }])).toEqual(["x"]);
  });
});

describe("ensureDebianPackages", () => {
  it("asks apt-get nothing when everything is there", async () => {
    const lines: string[] = [];
    await ensureDebianPackages([{ name: "coreutils", command: "ls" }], (line) => lines.push(line));
    expect(lines).toEqual([]);
  });
});

describe("an interrupted dpkg", () => {
  /** A dpkg database folder as dpkg leaves it: `updates/` holds a journal entry while a package is half-way. */
  async function adminDir(journal: string[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "agentyard-dpkg-"));
    await mkdir(join(dir, "updates"));
    for (const name of journal) await writeFile(join(dir, "updates", name), "Package: libkrb5-dev\n");
    return dir;
  }

  it("is told from dpkg's journal", async () => {
    const clean = await adminDir(["tmp.i"]);
    const interrupted = await adminDir(["0007"]);
    try {
      expect(await dpkgInterrupted(clean)).toBe(false);
      expect(await dpkgInterrupted(interrupted)).toBe(true);
      expect(await dpkgInterrupted(join(clean, "missing"))).toBe(false);
    } finally {
      await rm(clean, { recursive: true, force: true });
      await rm(interrupted, { recursive: true, force: true });
    }
  });

  it("stops an install before apt-get runs, naming the one command that mends it", async () => {
    const dir = await adminDir(["0000", "0001"]);
    const lines: string[] = [];
    try {
      await expect(
        ensureDebianPackages([{ name: "agentyard-no-such-package" }], (line) => lines.push(line), {
          dpkgAdminDir: dir,
        }),
      ).rejects.toThrow(DPKG_REPAIR);
      expect(lines.filter((line) => line.includes("apt-get"))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
