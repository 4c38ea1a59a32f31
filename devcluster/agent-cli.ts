import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  AGENT_PRESETS,
  type AgentPresetName,
  presetInstallManifest,
  presetPackageSpec,
} from "../schema/presets.ts";
import { npmEnv } from "./child-env.ts";
import { buildOnce, formatElapsed, type Log, step } from "./go-build.ts";
import { cacheRoot } from "./paths.ts";

/**
 * A preset's coding-agent CLI for the devcluster's agent pods, installed from npm into the cache on
 * first use, one folder per version: `<cache>/agentyard/agent-clis/<preset>-<version>`.
 */
export interface AgentCli {
  dir: string;
  /** The folder with the CLI's program, to put first on PATH as the image has it. */
  bin: string;
}

const MARKER = "installed.json";

export function agentCliRoot(): string {
  return join(cacheRoot(), "agent-clis");
}

/** The install in the cache, made once (under a lock, with progress on `log`). */
export async function ensureAgentCli(preset: AgentPresetName, log: Log = () => {}): Promise<AgentCli> {
  const prefix = `[${preset}]`;
  const dir = await buildOnce({
    root: agentCliRoot(),
    key: `${preset}-${AGENT_PRESETS[preset].version}`,
    marker: MARKER,
    log,
    prefix,
    build: (target) => install(preset, target, log, prefix),
  });
  return { dir, bin: join(dir, "node_modules", ".bin") };
}

async function install(preset: AgentPresetName, target: string, log: Log, prefix: string): Promise<void> {
  const started = Date.now();
  const spec = presetPackageSpec(preset);
  log(`${prefix} installing ${spec} into ${target} (once)`);
  // Installed beside the target and renamed into place, so an interrupted install leaves no half of one.
  const work = await mkdtemp(`${target}.partial-`);
  try {
    await step(log, prefix, 1, 1, `npm install ${spec}`, async () => {
      await writeFile(join(work, "package.json"), JSON.stringify(presetInstallManifest(preset)));
      await npm(["install", "--no-audit", "--no-fund", "--omit=dev"], work);
    });
    await writeFile(join(work, MARKER), JSON.stringify({ package: spec }));
    await rm(target, { recursive: true, force: true });
    await rename(work, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log(`${prefix} ${spec} installed in ${formatElapsed(Date.now() - started)}`);
}

function npm(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd, env: npmEnv(), stdio: ["ignore", "pipe", "pipe"] });
    const file = createWriteStream(join(cwd, "npm-install.log"));
    let tail = "";
    const keep = (chunk: Buffer) => {
      file.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (err) => reject(new Error(`npm could not start: ${err.message}`)));
    child.on("close", (code) => {
      file.end();
      if (code === 0) resolve();
      else reject(new Error(`npm ${args.join(" ")} (in ${cwd}) exited with ${code}:\n${tail}`));
    });
  });
}
