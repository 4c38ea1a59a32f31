import { Command, Option } from "commander";
import { serveDevCluster } from "../devcluster/serve.ts";
import { defaultOperatorOptions, runOperator } from "../operator/main.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `npm start`: everything on this machine, in the foreground, until Ctrl-C. */
export function startCommand(): Command {
  return new Command("start")
    .description("run the devcluster, the CRDs and the operator in the foreground (Ctrl-C stops everything)")
    .addOption(
      new Option("--log-level <level>", "log level of the operator")
        .choices(["trace", "debug", "info", "warn", "error"])
        .default("info"),
    )
    .action(async (flags: { logLevel: string }) => {
      const { cluster, beforeStop } = await serveDevCluster(log);
      const info = cluster.info();
      const operator = await runOperator({
        ...defaultOperatorOptions(),
        kubeconfig: info.kubeconfig,
        // One process owns this cluster: no Lease to wait for.
        leaderElection: false,
        metricsAddress: "127.0.0.1:0",
        logLevel: flags.logLevel,
      });
      beforeStop(() => operator.stop());
      process.stdout.write(
        [
          "",
          "agentyard is running.",
          `  KUBECONFIG=${info.kubeconfig}`,
          `  API server: ${info.server}`,
          `  operator:   ${operator.metricsUrl}/metrics`,
          "",
          "In another terminal:",
          "  npx agentyard dev kubectl get nodes",
          "  npx agentyard dev kubectl apply -f orgs.example.yaml",
          "  npx agentyard dev kubectl get orgs,agenttasks -A",
          "",
          "Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    });
}
