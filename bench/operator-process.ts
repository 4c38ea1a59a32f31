import { buildOperatorBundle } from "../cli/operator-bundle.ts";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { freePort } from "../devcluster/ports.ts";
import { operatorUserAgent } from "../operator/main.ts";
import { CliProcess } from "./cli-process.ts";
import { sumSamples } from "./metrics-text.ts";

export type { HeapSize } from "./cli-process.ts";

export const LEASE_NAMESPACE = "agentyard-system";

/** The image's operator program, built once per benchmark run from the sources as they are. */
let bundle: Promise<string> | undefined;
const operatorBundle = () => {
  bundle ??= buildOperatorBundle();
  return bundle;
};

/**
 * `agentyard operator` as a user runs it (CliProcess): the image's bundle (cli/operator-bundle.ts),
 * with leader election; the audit log tells its writes apart by its user agent, which names its
 * identity.
 */
export class OperatorProcess extends CliProcess {
  readonly identity: string;
  readonly userAgent: string;

  private constructor(cluster: DevCluster, identity: string, port: number, program: string) {
    super(
      cluster,
      `operator-${identity}`,
      program,
      [
        "operator",
        `--kubeconfig=${cluster.kubeconfigPath()}`,
        `--identity=${identity}`,
        `--lease-namespace=${LEASE_NAMESPACE}`,
        `--metrics-address=127.0.0.1:${port}`,
        "--log-level=warn",
      ],
      `http://127.0.0.1:${port}`,
    );
    this.identity = identity;
    this.userAgent = operatorUserAgent(identity);
  }

  /** Spawns the operator against `cluster`; its output goes to logs/operator-<identity>.log there. */
  static async spawn(cluster: DevCluster, identity: string): Promise<OperatorProcess> {
    return new OperatorProcess(cluster, identity, await freePort(), await operatorBundle());
  }

  /** Resolves with the milliseconds from spawn until it holds the Lease (its leader gauge is 1). */
  async leading(timeoutMs = 60_000): Promise<number> {
    await waitFor(
      `operator ${this.identity} to lead`,
      async () => (sumSamples(await this.metrics(), "agentyard_leader") === 1 ? true : undefined),
      { timeoutMs, intervalMs: 50 },
    );
    return performance.now() - this.spawnedAt;
  }

  /** The reconciles of one controller so far, from /metrics. */
  async reconciles(controller: string): Promise<number> {
    return sumSamples(await this.metrics(), "agentyard_reconcile_duration_seconds_count", { controller });
  }
}
