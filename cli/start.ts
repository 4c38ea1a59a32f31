import { Command, Option } from "commander";
import { startApi } from "../api/server.ts";
import { ensureDashboard } from "../dashboard/build.ts";
import { ensureCodeServer } from "../devcluster/code-server.ts";
import { ensureDemo } from "../devcluster/demo.ts";
import { startDevNodeAgent } from "../devcluster/node-agent/index.ts";
import { devStateDir } from "../devcluster/paths.ts";
import { serveDevCluster } from "../devcluster/serve.ts";
import { OPERATOR_IDENTITY } from "../operator/identity.ts";
import { defaultOperatorOptions, runOperator } from "../operator/main.ts";
import { type LogFormat, lineLogger, logFormatOption, programLogger } from "./log-output.ts";

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
    .addOption(logFormatOption())
    .action(async (flags: { logLevel: string; logFormat: LogFormat }) => {
      // Four programs share this terminal: each gets its own logger, named and prefixed.
      const logger = (name: string, label: string) =>
        programLogger(flags.logLevel, { name, label }, flags.logFormat);
      const log = lineLogger(logger("devcluster", "devcluster"));
      const { cluster, beforeStop } = await serveDevCluster(log);
      const info = cluster.info();
      const operator = await runOperator({
        ...defaultOperatorOptions(),
        kubeconfig: info.kubeconfig,
        // One process owns this cluster: no Lease to wait for.
        leaderElection: false,
        metricsAddress: "127.0.0.1:0",
        logLevel: flags.logLevel,
        log: logger(OPERATOR_IDENTITY.logName, "operator"),
      });
      beforeStop(() => operator.stop());
      // Pods on the node agentyard-local run as local processes: the agent runtime and code-server.
      const nodeAgent = await startDevNodeAgent(info, { log: logger("node-agent", "node-agent") });
      beforeStop(() => nodeAgent.stop());
      const demo = await ensureDemo((args, options) => cluster.kubectl(args, options), devStateDir());
      // The first editor would otherwise wait for this install; meanwhile agents already run.
      void ensureCodeServer(log).catch((err: Error) => log(`[code-server] install failed: ${err.message}`));
      // The api serves the dashboard from what it finds built when it starts.
      await ensureDashboard(log);
      // Only on loopback, and only because this cluster's admin is the person at the keyboard.
      const api = await startApi({
        kubeconfig: info.kubeconfig,
        listen: "127.0.0.1:8080",
        auth: "none",
        logLevel: flags.logLevel,
        log: logger("agentyard-api", "api"),
      });
      beforeStop(() => api.close());
      process.stdout.write(
        [
          "",
          "agentyard is running. What just happened: a Kubernetes control plane started on this",
          "machine with agentyard's CRDs, the operator and a node agent that runs agent pods as local",
          `processes, the api with the dashboard, and an Org "demo" whose agents push to ${demo.repo}.`,
          "",
          `  dashboard:  ${api.url}/`,
          `  api:        ${api.url}  (API docs: ${api.url}/docs)`,
          `  operator:   ${operator.metricsUrl}/metrics`,
          `  API server: ${info.server}`,
          `  KUBECONFIG=${info.kubeconfig}`,
          "",
          "In another terminal:",
          '  npx agentyard run --org demo "Add a greeting to the README"   # a task, followed live (docs/cli.md)',
          "  npx agentyard tasks                                            # the tasks and their phases",
          "  npx agentyard dev kubectl get orgs,agenttasks -A",
          `  git --git-dir ${demo.repo} branch      # the branches the demo Org's agents pushed`,
          "",
          "Docs: README.md, docs/cli.md, docs/api.md, docs/operator.md. Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    });
}
