import { join } from "node:path";
import { apiServiceAccountKubeconfig } from "../../devcluster/api-access.ts";
import type { DevCluster } from "../../devcluster/cluster.ts";
import { Component } from "../../devcluster/component.ts";
import { waitFor } from "../../devcluster/http.ts";
import { projectRoot } from "../../devcluster/paths.ts";
import { freePort } from "../../devcluster/ports.ts";

export interface ApiProcess {
  readonly url: string;
  readonly process: Component;
  stop(): Promise<void>;
}

/** The api as its own process (`agentyard api`), as its ServiceAccount, with token authentication. */
export async function apiProcess(cluster: DevCluster): Promise<ApiProcess> {
  const identity = await apiServiceAccountKubeconfig(cluster.info(), (args, options) =>
    cluster.kubectl(args, options),
  );
  const port = await freePort();
  const component = new Component(
    "api",
    process.execPath,
    [
      join(projectRoot, "cli", "agentyard.ts"),
      "api",
      `--kubeconfig=${identity.path}`,
      `--listen=127.0.0.1:${port}`,
      "--auth=token",
      "--log-level=warn",
      "--rate-limit=100000",
    ],
    join(cluster.dir, "logs", "api.log"),
  );
  component.start();
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    "the api to answer /healthz",
    async () => ((await fetch(`${url}/healthz`)).status === 200 ? true : undefined),
    {
      timeoutMs: 60_000,
      abort: async () => (component.running ? undefined : `the api exited:\n${await component.tail()}`),
    },
  );
  return {
    url,
    process: component,
    async stop() {
      await component.stop();
      await identity.cleanup();
    },
  };
}
