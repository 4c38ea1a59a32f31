/**
 * Bundles the runtime and the demo agent into one file each for the image: `npm run build:agent`
 * writes agent-image/dist/agent.mjs and agent-image/dist/demo-agent.mjs.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { NODE_BUNDLE } from "../cli/node-bundle.ts";
import pkg from "../package.json" with { type: "json" };
import { AGENT_PRESET_NAMES, type AgentPresetName, presetInstallManifest } from "../schema/presets.ts";

const here = dirname(fileURLToPath(import.meta.url));

export interface AgentBundle {
  agent: string;
  demoAgent: string;
}

export async function buildAgent(outdir = join(here, "dist")): Promise<AgentBundle> {
  await build({
    entryPoints: { agent: join(here, "main.ts"), "demo-agent": join(here, "demo-agent.ts") },
    outdir,
    outExtension: { ".js": ".mjs" },
    ...NODE_BUNDLE,
  });
  const bundle = { agent: join(outdir, "agent.mjs"), demoAgent: join(outdir, "demo-agent.mjs") };
  // The demo agent is run as a program (it keeps its #! line).
  await chmod(bundle.demoAgent, 0o755);
  await writePresetManifests(outdir);
  return bundle;
}

/** dist/agent-cli/<preset>/package.json, from which the Dockerfile installs a preset's CLI. */
async function writePresetManifests(outdir: string): Promise<void> {
  for (const preset of AGENT_PRESET_NAMES) {
    const dir = join(outdir, "agent-cli", preset);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "package.json"), `${JSON.stringify(presetInstallManifest(preset), null, 2)}\n`);
  }
}

/** The docker command that builds a preset's variant of the image, tagged as the operator expects. */
export function presetDockerBuild(preset: AgentPresetName): string[] {
  const tag = `agentyard/agent-${preset}:${pkg.version}`;
  return ["docker", "build", "--build-arg", `AGENT_PRESET=${preset}`, "-t", tag, "agent-image"];
}

if (import.meta.main) {
  const bundle = await buildAgent();
  process.stdout.write(`${bundle.agent}\n${bundle.demoAgent}\n`);
  for (const preset of AGENT_PRESET_NAMES) process.stdout.write(`${presetDockerBuild(preset).join(" ")}\n`);
}
