import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AGENT_PRESET_NAMES, type AgentPresetName } from "../../schema/presets.ts";
import { ensureAgentCli } from "../agent-cli.ts";
import { ensureCodeServer } from "../code-server.ts";
import { projectRoot } from "../paths.ts";
import { tailscaleBoot } from "./tailscale-program.ts";

/** What a container image stands for on agentyard-local: a program on this machine. */
export interface LocalProgram {
  /** Makes the program ready (e.g. installs it on first use) and tells how to run it. */
  prepare(context: PrepareContext): Promise<PreparedProgram>;
}

export interface PrepareContext {
  /** A folder of the node agent's own, for files the program needs. */
  dir: string;
  log: (line: string) => void;
}

export interface PreparedProgram {
  /** The image's entrypoint as a host command; the container's args follow it. */
  entrypoint: string[];
  /** Folders put first on PATH, for commands the image has on its PATH. */
  path?: string[];
}

/** Image prefix → program; the longest prefix that an image starts with wins. */
export type ProgramTable = Record<string, LocalProgram>;

/** The program for an image, if the table has one; registry-qualified Docker Hub names match too. */
export function findProgram(table: ProgramTable, image: string): LocalProgram | undefined {
  const name = image.replace(/^docker\.io\/(library\/)?/, "");
  const prefix = Object.keys(table)
    .filter((p) => name.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? undefined : table[prefix];
}

/** The agent runtime from this checkout, with `agentyard-demo-agent` on PATH as in the image. */
export const agentRuntime: LocalProgram = {
  async prepare({ dir }) {
    const bin = join(dir, "bin");
    await mkdir(bin, { recursive: true });
    const demo = join(bin, "agentyard-demo-agent");
    const script = join(projectRoot, "agent-image", "demo-agent.ts");
    await writeFile(demo, `#!/bin/sh\nexec '${process.execPath}' '${script}' "$@"\n`);
    await chmod(demo, 0o755);
    return { entrypoint: [process.execPath, join(projectRoot, "agent-image", "main.ts")], path: [bin] };
  },
};

/** code-server from npm, installed into the cache the first time an editor container needs it. */
export const codeServer: LocalProgram = {
  async prepare({ log }) {
    const installed = await ensureCodeServer(log);
    return { entrypoint: [installed.node, installed.entry] };
  },
};

/**
 * busybox, the image of the storage provisioner's helper pods (`sh /script/setup`, `sh
 * /script/teardown`): this machine's shell, whose mkdir and rm the scripts find on PATH.
 */
export const localShell: LocalProgram = {
  async prepare() {
    return { entrypoint: ["/bin/sh"] };
  },
};

/** A preset's image variant: the agent runtime with the preset's CLI, installed from npm on first use, on PATH. */
export function presetRuntime(preset: AgentPresetName): LocalProgram {
  return {
    async prepare(context) {
      const cli = await ensureAgentCli(preset, context.log);
      const runtime = await agentRuntime.prepare(context);
      return { ...runtime, path: [cli.bin, ...(runtime.path ?? [])] };
    },
  };
}

/**
 * What `npm start` runs: the images of a task's pod, the presets' variants of the runtime's among
 * them, and the storage provisioner's helper pods.
 */
export function defaultPrograms(): ProgramTable {
  const presets = Object.fromEntries(
    AGENT_PRESET_NAMES.map((p) => [`agentyard/agent-${p}`, presetRuntime(p)]),
  );
  return {
    "agentyard/agent": agentRuntime,
    ...presets,
    "codercom/code-server": codeServer,
    "tailscale/tailscale": tailscaleBoot,
    busybox: localShell,
  };
}
