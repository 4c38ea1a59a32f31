import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@agentyard/kube-runtime";
import type { DevCluster } from "../../devcluster/cluster.ts";
import { demoOrg } from "../../devcluster/demo.ts";
import { bareRepo } from "../../devcluster/git.ts";
import { type NodeAgent, startNodeAgent } from "../../devcluster/node-agent/index.ts";
import type { RunningOperator } from "../../operator/main.ts";
import { applyManifest, clusterWithCrds, orgWhenReadyReason, startTestOperator } from "./operator.ts";

/**
 * The demo Org of `npm start`, without the editor: for suites about the agent's round trip. Returns
 * once the operator reports it Ready, so that its namespace exists for the first task applied.
 */
export async function applyDemoOrgWithoutEditor(cluster: DevCluster, origin: string): Promise<void> {
  const org = demoOrg(origin);
  await applyManifest(cluster, { ...org, spec: { ...org.spec, editor: { enabled: false } } });
  await orgWhenReadyReason(cluster, org.metadata.name, "Ready");
}

export interface LocalAgents {
  cluster: DevCluster;
  operator: RunningOperator;
  nodeAgent: NodeAgent;
  /** The folder of this world: the repository and the node agent's pods. */
  work: string;
  /** The demo Org's repository, a bare one the agents push to. */
  origin: string;
  stop(): Promise<void>;
}

/**
 * A devcluster, the operator and a node agent in this process that runs the demo Org's agents as
 * local processes, pushing to a fresh bare repository: what `npm start` runs, minus the api.
 */
export async function startLocalAgents(name: string): Promise<LocalAgents> {
  const work = await mkdtemp(join(tmpdir(), `agentyard-${name}-`));
  const origin = await bareRepo(join(work, "origin.git"), { "README.md": `# ${name}\n` });
  const cluster = await clusterWithCrds(name);
  const operator = await startTestOperator(cluster);
  const nodeAgent = await startNodeAgent({
    kubeconfig: cluster.kubeconfigPath(),
    workDir: join(work, "node"),
    storageDir: cluster.storageDir,
    log: silentLogger(),
  });
  await applyDemoOrgWithoutEditor(cluster, origin);
  return {
    cluster,
    operator,
    nodeAgent,
    work,
    origin,
    async stop() {
      await nodeAgent.stop();
      await operator.stop();
      await cluster.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
