import { describe, expect, it } from "vitest";
import { ensureDebianPackages, missingPackages } from "./debian.ts";

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
