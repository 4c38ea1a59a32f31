import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { renderCrdFiles } from "../schema/crd-yaml.ts";
import { crdsCommand } from "./crds.ts";

let dir: string;
let stderr: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-crds-"));
  stderr = [];
  vi.spyOn(process.stdout, "write").mockReturnValue(true);
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
});

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => crdsCommand().parseAsync(["--out", dir, ...args], { from: "user" });

it("writes one file per CRD into --out", async () => {
  await run();
  for (const { name, text } of renderCrdFiles()) {
    expect(await readFile(join(dir, name), "utf8")).toBe(text);
  }
});

it("--check passes on fresh files and names each drifted or missing one", async () => {
  await run();
  await run("--check");
  expect(process.exitCode).toBeUndefined();

  await writeFile(join(dir, "org.yaml"), "edited by hand\n");
  await rm(join(dir, "agenttask.yaml"));
  await run("--check");
  expect(process.exitCode).toBe(1);
  expect(stderr.join("")).toBe(
    `out of date with schema/: ${join(dir, "org.yaml")}, ${join(dir, "agenttask.yaml")}; run \`npm run crds\`\n`,
  );
});
