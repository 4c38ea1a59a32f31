import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The image cannot be built here (no container engine), so its essentials are checked as text; what
 * it runs (the bundle, the demo agent, git with these settings) is tested by the other suites.
 */
const here = dirname(fileURLToPath(import.meta.url));
const dockerfile = await readFile(join(here, "Dockerfile"), "utf8");
/** Instructions with their continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const find = (keyword: string) => instructions.filter((l) => l.toUpperCase().startsWith(`${keyword} `));

describe("agent-image/Dockerfile", () => {
  it("is based on a pinned Node 24 slim image", () => {
    const from = find("FROM");
    expect(from).toHaveLength(1);
    expect(from[0]).toMatch(/^FROM node:24\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it("runs as a numeric non-root user", () => {
    const user = find("USER");
    expect(user).toHaveLength(1);
    const [uid, gid] = (user[0] as string).slice(5).split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
  });

  it("installs git, ssh, CA certificates and an init, and fetches nothing else from the network", () => {
    const run = find("RUN").join(" ");
    for (const pkg of ["git", "openssh-client", "ca-certificates", "tini"])
      expect(run).toMatch(new RegExp(`\\b${pkg}\\b`));
    expect(run).not.toMatch(/\b(curl|wget)\b/);
    expect(find("ADD")).toEqual([]);
  });

  it("keeps everything written at run time on volumes", () => {
    expect(dockerfile).toMatch(/ENV HOME=\/tmp\b/);
    expect(find("VOLUME")).toEqual([]);
  });

  it("installs a preset's CLI from the package.json build:agent wrote, chosen by one build arg", () => {
    expect(find("ARG")).toEqual(["ARG AGENT_PRESET="]);
    const run = find("RUN").join(" ");
    expect(run).toContain('cp "/opt/agent-cli-manifests/$AGENT_PRESET/package.json" /opt/agent-cli/');
    expect(run).toMatch(/npm install --no-audit --no-fund --omit=dev/);
    expect(dockerfile).toContain("ENV PATH=/opt/agent-cli/node_modules/.bin:$PATH");
  });

  it("starts the bundle that npm run build:agent writes, under tini", async () => {
    const pkg = JSON.parse(await readFile(join(here, "..", "package.json"), "utf8"));
    expect(pkg.scripts["build:agent"]).toBe("node agent-image/build.ts");
    expect(find("COPY")).toEqual([
      "COPY dist/agent-cli/ /opt/agent-cli-manifests/",
      "COPY dist/agent.mjs dist/demo-agent.mjs /opt/agentyard/",
    ]);
    const entrypoint = JSON.parse((find("ENTRYPOINT")[0] as string).slice("ENTRYPOINT ".length));
    expect(entrypoint).toEqual(["/usr/bin/tini", "--", "node", "/opt/agentyard/agent.mjs"]);
    expect(dockerfile).toContain("ln -s /opt/agentyard/demo-agent.mjs /usr/local/bin/agentyard-demo-agent");
  });
});
