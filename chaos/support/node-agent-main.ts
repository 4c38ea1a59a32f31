/**
 * The node agent as a process of its own, so that a chaos test can SIGKILL it:
 * `node chaos/support/node-agent-main.ts <kubeconfig> <workDir>`. Containers that exit start
 * again after 0.5 to 2 s, not the kubelet's 10 s to 5 min, so that crash loops fit in a test.
 */
import { createLogger, onShutdown } from "@agentyard/kube-runtime";
import { startNodeAgent } from "../../devcluster/node-agent/index.ts";

const [kubeconfig, workDir] = process.argv.slice(2);
if (!kubeconfig || !workDir) throw new Error("usage: node-agent-main.ts <kubeconfig> <workDir>");
const agent = await startNodeAgent({
  kubeconfig,
  workDir,
  log: createLogger("warn", { name: "node-agent" }),
  restartBackoff: { baseMs: 500, maxMs: 2_000 },
});
onShutdown(() => agent.stop());
