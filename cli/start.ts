import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Command, Option } from "commander";
import { startApi } from "../api/server.ts";
import { ensureDashboard } from "../dashboard/build.ts";
import { ensureCodeServer } from "../devcluster/code-server.ts";
import { ensureDemo } from "../devcluster/demo.ts";
import { startDevNodeAgent } from "../devcluster/node-agent/index.ts";
import { devStateDir } from "../devcluster/paths.ts";
import { ensureDevCertificate } from "../devcluster/self-signed.ts";
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
    .option("--tls", "serve the api and dashboard over HTTPS, with a self-signed pair made on first run")
    .action(async (flags: { logLevel: string; tls?: boolean }) => {
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
      // Pods on the node agentyard-local run as local processes: the agent runtime and code-server.
      const nodeAgent = await startDevNodeAgent(info, { logLevel: flags.logLevel });
      beforeStop(() => nodeAgent.stop());
      const demo = await ensureDemo((args, options) => cluster.kubectl(args, options), devStateDir());
      // The first editor would otherwise wait for this install; meanwhile agents already run.
      void ensureCodeServer(log).catch((err: Error) => log(`[code-server] install failed: ${err.message}`));
      // The api serves the dashboard from what it finds built when it starts.
      await ensureDashboard(log);
      // Only on loopback, and only because this cluster's admin is the person at the keyboard. The
      // run's token keeps other local users and the pages a browser opens from acting as that admin.
      const localToken = randomBytes(32).toString("base64url");
      const tls = flags.tls ? await ensureDevCertificate(join(devStateDir(), "tls")) : undefined;
      const api = await startApi({
        ...(tls ? { tls } : {}),
        kubeconfig: info.kubeconfig,
        listen: "127.0.0.1:8080",
        auth: "none",
        localToken,
        logLevel: flags.logLevel,
      });
      beforeStop(() => api.close());
      process.stdout.write(
        [
          "",
          `agentyard is running. Open the dashboard: ${api.url}/#token=${localToken}`,
          "",
          `  api:        ${api.url}  (API docs: ${api.url}/docs)`,
          `  token:      export AGENTYARD_TOKEN=${localToken}   # this run's; every api request needs it`,
          ...(tls
            ? [`  TLS:        self-signed ${tls.certFile}; trust it in the browser, or curl --cacert it`]
            : []),
          `  operator:   ${operator.metricsUrl}/metrics`,
          `  API server: ${info.server}`,
          `  KUBECONFIG=${info.kubeconfig}`,
          "",
          "In another terminal:",
          `  curl -sS ${tls ? `--cacert ${tls.certFile} ` : ""}-X POST ${api.url}/schedule -H "Authorization: Bearer $AGENTYARD_TOKEN" -H 'Content-Type: application/json' -d '{"org": "demo", "task": "Say hello"}'`,
          "  npx agentyard dev kubectl get orgs,agenttasks -A",
          `  git --git-dir ${demo.repo} branch      # the branches the demo Org's agents pushed`,
          "",
          "Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    });
}
