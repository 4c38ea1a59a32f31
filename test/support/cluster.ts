import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import {
  type ClusterInfo,
  type ClusterUser,
  type KubectlResult,
  runKubectl,
} from "../../devcluster/cluster.ts";

/** The shared devcluster started by the global setup. */
export function sharedCluster(): ClusterInfo {
  return inject("cluster");
}

export function kubectl(
  args: string[],
  options: { user?: ClusterUser; input?: string; cluster?: ClusterInfo } = {},
): Promise<KubectlResult> {
  const cluster = options.cluster ?? sharedCluster();
  return runKubectl(cluster.kubectlPath, cluster.kubeconfigs[options.user ?? "admin"], args, options.input);
}

/** kubectl on the shared cluster that must succeed: its output, or an error with kubectl's own words. */
export async function mustKubectl(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A name no other test uses, so suites can run side by side on one cluster. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}
