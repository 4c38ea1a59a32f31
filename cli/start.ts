import { Command, Option } from "commander";
import { startApi } from "../api/server.ts";
import { ensureDashboard } from "../dashboard/build.ts";
import { ensureDemoOrg } from "../devcluster/demo.ts";
import { serveDevCluster } from "../devcluster/serve.ts";
import { defaultOperatorOptions, runOperator } from "../operator/main.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `npm start`: everything on this machine, in the foreground, until Ctrl-C. */
export function startCommand(): Command {
  return new Command("start")
    .description(
      "run the devcluster, the CRDs, the operator and the api in the foreground (Ctrl-C stops everything)",
    )
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
      await ensureDemoOrg((args, options) => cluster.kubectl(args, options));
      // The api serves the dashboard from what it finds built when it starts.
      await ensureDashboard(log);
      // Only on loopback, and only because this cluster's admin is the person at the keyboard.
      const api = await startApi({
        kubeconfig: info.kubeconfig,
        listen: "127.0.0.1:8080",
        auth: "none",
        logLevel: flags.logLevel,
      });
      beforeStop(() => api.close());
      process.stdout.write(
        [
          "",
          "agentyard is running.",
          `  KUBECONFIG=${info.kubeconfig}`,
          `  API server: ${info.server}`,
          `  operator:   ${operator.metricsUrl}/metrics`,
          `  api:        ${api.url}  (API docs: ${api.url}/docs)`,
          "",
          `Open the dashboard: ${api.url}/`,
          "",
          "In another terminal:",
          `  curl -sS -X POST ${api.url}/schedule -H 'Content-Type: application/json' -d '{"org": "demo", "task": "Say hello"}'`,
          "  npx agentyard dev kubectl get orgs,agenttasks -A",
          "",
          "Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    });
}
