import type { TestProject } from "vitest/node";
import { ensureBinaries } from "../../devcluster/build.ts";
import { type ClusterInfo, DevCluster } from "../../devcluster/cluster.ts";
import { installCrds } from "../../devcluster/crds.ts";

declare module "vitest" {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

/**
 * One shared devcluster for the integration suites, with the CRDs installed. Suites that need a
 * cluster of their own (fault tests, multi-cluster) start one with DevCluster.start.
 */
export default async function setup(project: TestProject) {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await ensureBinaries(log);
  const cluster = await DevCluster.start({ name: "test", log });
  try {
    await installCrds((args, options) => cluster.kubectl(args, options));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  project.provide("cluster", cluster.info());
  return async () => {
    await cluster.stop();
  };
}
