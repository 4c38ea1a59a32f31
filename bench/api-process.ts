import { apiServiceAccountKubeconfig } from "../devcluster/api-access.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { freePort } from "../devcluster/ports.ts";
import { CLI, CliProcess } from "./cli-process.ts";

/**
 * `agentyard api` as a user runs it (CliProcess): as its own ServiceAccount (api/rbac.yaml), with
 * token authentication, on loopback. `flags` are further arguments (limits the benchmark raises).
 */
export class ApiProcess extends CliProcess {
  private readonly cleanup: () => Promise<void>;

  private constructor(
    cluster: DevCluster,
    port: number,
    kubeconfig: string,
    flags: readonly string[],
    cleanup: () => Promise<void>,
  ) {
    super(
      cluster,
      "api",
      CLI,
      [
        "api",
        `--kubeconfig=${kubeconfig}`,
        `--listen=127.0.0.1:${port}`,
        "--auth=token",
        "--log-level=warn",
        ...flags,
      ],
      `http://127.0.0.1:${port}`,
    );
    this.cleanup = cleanup;
  }

  static async spawn(cluster: DevCluster, flags: readonly string[] = []): Promise<ApiProcess> {
    const identity = await apiServiceAccountKubeconfig(cluster.info(), cluster.kubectl.bind(cluster));
    return new ApiProcess(cluster, await freePort(), identity.path, flags, identity.cleanup);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.cleanup();
  }
}
