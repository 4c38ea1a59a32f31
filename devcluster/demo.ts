import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DemoForge } from "./demo-forge.ts";
import type { DemoTailnet } from "./demo-tailnet.ts";
import { applyAsDev, type Kubectl } from "./dev-apply.ts";
import { bareRepo } from "./git.ts";
import { LOCAL_LABEL, LOCAL_TAINT } from "./node-agent/index.ts";

/** The built-in demo agent: writes the prompt into the repository; the runtime commits and pushes it. */
export const DEMO_AGENT_COMMAND = ["agentyard-demo-agent"];

const DEMO_README = `# demo

A repository that \`npm start\` made for the demo Org. Each task's agent pushes a branch
\`agentyard/<task>\` here; list them with \`git --git-dir <this folder> branch\`.
`;

/** What `npm start`'s flags add to the demo Org: a forge for its pull requests, a tailnet for its editors. */
export interface DemoExtras {
  forge?: DemoForge;
  tailnet?: DemoTailnet;
}

/**
 * The Org `npm start` creates: its default repository is a local bare repository, its agents run on
 * the node agent's node as local processes, and its default command is the demo agent. A real
 * coding-agent CLI is one `spec.agent.command` away.
 */
export function demoOrg(repoPath: string, { forge, tailnet }: DemoExtras = {}) {
  return {
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "Org",
    metadata: { name: "demo" },
    spec: {
      repo: { url: forge ? forge.repo.cloneUrl : `file://${repoPath}`, branch: "main" },
      ...(forge ? { git: forge.git } : {}),
      agent: {
        command: DEMO_AGENT_COMMAND,
        nodeSelector: { [LOCAL_LABEL]: "true" },
        tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists", effect: LOCAL_TAINT.effect }],
      },
      ...(tailnet ? { mesh: tailnet.mesh } : {}),
      limits: { maxConcurrentTasks: 3 },
    },
  };
}

/**
 * The demo repository in the dev state folder (made once) and the demo Org pointing at it; with a
 * demo forge, at the forge's repository instead, opening pull requests there.
 */
export async function ensureDemo(
  kubectl: Kubectl,
  stateDir: string,
  extras: DemoExtras = {},
): Promise<{ repo: string }> {
  const { forge } = extras;
  const repo = join(stateDir, "demo.git");
  if (!existsSync(join(repo, "HEAD"))) await bareRepo(repo, { "README.md": DEMO_README });
  await applyAsDev(kubectl, demoOrg(repo, extras), "the demo Org");
  return { repo: forge ? forge.repo.htmlUrl : repo };
}
