import { onShutdown } from "@agentyard/kube-runtime";
import { Command, InvalidArgumentError, Option } from "commander";
import { defaultOperatorOptions, runOperator } from "../operator/main.ts";
import { parseDuration } from "../schema/index.ts";

function positiveInt(value: string): number {
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 1 || String(n) !== value.trim()) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return n;
}

function duration(value: string): number {
  try {
    const ms = parseDuration(value);
    if (ms < 1000) throw new Error("too short");
    return ms;
  } catch {
    throw new InvalidArgumentError("must be a Go duration of at least 1s, such as 15s or 1m");
  }
}

export function operatorCommand(): Command {
  const defaults = defaultOperatorOptions();
  return new Command("operator")
    .description("run the operator: reconcile Orgs and AgentTasks into agent Deployments")
    .addOption(
      new Option("--kubeconfig <path>", "kubeconfig file (default: in-cluster, or $KUBECONFIG)").env(
        "KUBECONFIG",
      ),
    )
    .addOption(
      new Option("--no-leader-election", "reconcile without a Lease (one replica only)").env(
        "AGENTYARD_NO_LEADER_ELECTION",
      ),
    )
    .addOption(
      new Option("--lease-namespace <ns>", "namespace of the leader-election Lease")
        .default(defaults.leaseNamespace)
        .env("POD_NAMESPACE"),
    )
    .addOption(
      new Option("--lease-name <name>", "name of the leader-election Lease").default(defaults.leaseName),
    )
    .addOption(
      new Option(
        "--lease-duration <duration>",
        "how long a leader's Lease lasts without renewal (Go duration)",
      )
        .default("15s")
        .argParser(duration),
    )
    .addOption(
      new Option("--identity <id>", "this replica's name in the Lease")
        .default(defaults.identity)
        .env("POD_NAME"),
    )
    .addOption(
      new Option("--concurrency <n>", "reconciles at once per controller")
        .default(defaults.concurrency)
        .argParser(positiveInt)
        .env("AGENTYARD_CONCURRENCY"),
    )
    .addOption(
      new Option(
        "--resync-period <duration>",
        "how often every Org and AgentTask is reconciled although nothing changed (Go duration)",
      )
        .default("10m")
        .argParser(duration)
        .env("AGENTYARD_RESYNC_PERIOD"),
    )
    .addOption(
      new Option("--metrics-address <host:port>", "where /healthz, /readyz and /metrics are served")
        .default(defaults.metricsAddress)
        .env("AGENTYARD_METRICS_ADDRESS"),
    )
    .addOption(
      new Option("--log-level <level>", "trace, debug, info, warn or error")
        .default(defaults.logLevel)
        .choices(["trace", "debug", "info", "warn", "error"])
        .env("LOG_LEVEL"),
    )
    .addOption(
      new Option("--agent-image <image>", "agent image for Orgs that name none").env("AGENTYARD_AGENT_IMAGE"),
    )
    .addOption(
      new Option("--editor-image <image>", "code-server image for Orgs that name none").env(
        "AGENTYARD_EDITOR_IMAGE",
      ),
    )
    .action(async (flags) => {
      const operator = await runOperator({
        ...defaults,
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        leaderElection: flags.leaderElection,
        leaseNamespace: flags.leaseNamespace,
        leaseName: flags.leaseName,
        leaseDurationMs:
          typeof flags.leaseDuration === "number" ? flags.leaseDuration : parseDuration(flags.leaseDuration),
        identity: flags.identity,
        concurrency: flags.concurrency,
        resyncMs:
          typeof flags.resyncPeriod === "number" ? flags.resyncPeriod : parseDuration(flags.resyncPeriod),
        metricsAddress: flags.metricsAddress,
        logLevel: flags.logLevel,
        ...(flags.agentImage ? { agentImage: flags.agentImage } : {}),
        ...(flags.editorImage ? { editorImage: flags.editorImage } : {}),
      });
      onShutdown(() => operator.stop());
    });
}
