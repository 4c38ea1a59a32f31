import { onShutdown } from "@agentyard/kube-runtime";
import { Command, InvalidArgumentError, Option } from "commander";
import { OPERATOR_IDENTITY } from "../operator/identity.ts";
import { defaultOperatorOptions, runOperator } from "../operator/main.ts";
import { DNS_LABEL } from "../schema/formats.ts";
import { parseDuration } from "../schema/index.ts";
import { logFormatOption, programLogger } from "./log-output.ts";

function positiveInt(value: string): number {
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 1 || String(n) !== value.trim()) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return n;
}

/** A comma-separated list of namespaces, each a DNS-1123 label. */
function namespaceList(value: string): string[] {
  const names = value
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
  for (const name of names) {
    if (!DNS_LABEL.test(name) || name.length > 63) {
      throw new InvalidArgumentError(`${JSON.stringify(name)} is not a namespace name (a DNS-1123 label)`);
    }
  }
  return names;
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
      new Option(
        "--renew-deadline <duration>",
        "how long a leader that cannot renew keeps acting (Go duration; default 2/3 of the lease)",
      ).argParser(duration),
    )
    .addOption(
      new Option(
        "--retry-period <duration>",
        "pause between attempts to acquire or renew the Lease (Go duration; default 2/15 of the lease)",
      ).argParser(duration),
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
    .addOption(logFormatOption())
    .addOption(
      new Option("--agent-image <image>", "agent image for Orgs that name none").env("AGENTYARD_AGENT_IMAGE"),
    )
    .addOption(
      new Option("--editor-image <image>", "code-server image for Orgs that name none").env(
        "AGENTYARD_EDITOR_IMAGE",
      ),
    )
    .addOption(
      new Option("--tailscale-image <image>", "tailscale image of Orgs in mesh mode sidecar").env(
        "AGENTYARD_TAILSCALE_IMAGE",
      ),
    )
    .addOption(
      new Option(
        "--secret-namespaces <ns,...>",
        "namespaces where the platform team keeps the Secrets Orgs may name (kubeconfigs, git credentials); no Org may take one as its namespace",
      )
        .default(defaults.secretNamespaces, defaults.secretNamespaces.join(","))
        .argParser(namespaceList)
        .env("AGENTYARD_SECRET_NAMESPACES"),
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
        ...(flags.renewDeadline ? { renewDeadlineMs: flags.renewDeadline } : {}),
        ...(flags.retryPeriod ? { retryPeriodMs: flags.retryPeriod } : {}),
        identity: flags.identity,
        secretNamespaces: flags.secretNamespaces,
        concurrency: flags.concurrency,
        resyncMs:
          typeof flags.resyncPeriod === "number" ? flags.resyncPeriod : parseDuration(flags.resyncPeriod),
        metricsAddress: flags.metricsAddress,
        logLevel: flags.logLevel,
        log: programLogger(
          flags.logLevel,
          { name: OPERATOR_IDENTITY.logName, label: "operator" },
          flags.logFormat,
        ),
        ...(flags.agentImage ? { agentImage: flags.agentImage } : {}),
        ...(flags.editorImage ? { editorImage: flags.editorImage } : {}),
        ...(flags.tailscaleImage ? { tailscaleImage: flags.tailscaleImage } : {}),
      });
      onShutdown(() => operator.stop());
      // controller-runtime's rule: a replica that lost the Lease exits, and its restart campaigns
      // again from a clean process (fresh caches, nothing of the old term left running).
      void operator.leadershipLost.then(async () => {
        await operator.stop();
        process.exit(1);
      });
    });
}
