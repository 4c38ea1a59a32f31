/**
 * Bundles the runtime and the demo agent into one file each for the image: `npm run build:agent`
 * writes agent-image/dist/agent.mjs and agent-image/dist/demo-agent.mjs.
 */
import { chmod } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

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
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // Bundled CommonJS dependencies (pino) call require() for Node's own modules.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    logLevel: "warning",
  });
  const bundle = { agent: join(outdir, "agent.mjs"), demoAgent: join(outdir, "demo-agent.mjs") };
  // The demo agent is run as a program (it keeps its #! line).
  await chmod(bundle.demoAgent, 0o755);
  return bundle;
}

if (import.meta.main) {
  const bundle = await buildAgent();
  process.stdout.write(`${bundle.agent}\n${bundle.demoAgent}\n`);
}
