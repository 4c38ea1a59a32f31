import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command, Option } from "commander";
import { startApi } from "../api/server.ts";
import { ensureDashboard } from "../dashboard/build.ts";
import { ensureCodeServer } from "../devcluster/code-server.ts";
import { ensureDemo } from "../devcluster/demo.ts";
import { startDemoForge } from "../devcluster/demo-forge.ts";
import { startDemoTailnet } from "../devcluster/demo-tailnet.ts";
import { startDevNodeAgent } from "../devcluster/node-agent/index.ts";
import { devStateDir } from "../devcluster/paths.ts";
import { ensureDevCertificate } from "../devcluster/self-signed.ts";
import { serveDevCluster } from "../devcluster/serve.ts";
import { StoppingError } from "../devcluster/uninterruptible.ts";
import { OPERATOR_IDENTITY } from "../operator/identity.ts";
import { defaultOperatorOptions, runOperator } from "../operator/main.ts";
import { type LogFormat, lineLogger, logFormatOption, programLogger } from "./log-output.ts";
import { devApiFile } from "./tasks/options.ts";

interface StartFlags {
  logLevel: string;
  logFormat: LogFormat;
  tls?: boolean;
  listen: string;
  forge?: boolean;
  tailnet?: boolean;
}

/**
 * socks5h: the proxy resolves the name, which only the tailnet node can (curl resolves a socks5://
 * proxy's destinations itself, even with --socks5-hostname).
 */
function socksHostname(socks5Url: string): string {
  return socks5Url.replace(/^socks5:/, "socks5h:");
}

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
    .option("--tls", "serve the api and dashboard over HTTPS, with a self-signed pair made on first run")
    .option(
      "--listen <host:port>",
      "where the api and the dashboard listen (loopback only)",
      "127.0.0.1:8080",
    )
    .option(
      "--forge",
      "run a local Gitea (built on first use) with a demo repository: the demo Org's tasks open real pull requests there",
    )
    .option(
      "--tailnet",
      "run a local tailnet (Tailscale's test control server, built on first use) and put the demo Org's editors on it, with a node of yours whose SOCKS5 proxy reaches them",
    )
    .action(async (flags: StartFlags) => {
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
      const kubectl = (args: string[], options?: { input?: string }) => cluster.kubectl(args, options);
      const tailnet = flags.tailnet ? await startDemoTailnet(kubectl, devStateDir(), log) : undefined;
      // Stops run in reverse: the node agent's pods log their nodes out while the tailnet still runs.
      if (tailnet) beforeStop(() => tailnet.stop());
      // Pods on the node agentyard-local run as local processes: the agent runtime and code-server.
      const nodeAgent = await startDevNodeAgent(info, { log: logger("node-agent", "node-agent") });
      beforeStop(() => nodeAgent.stop());
      const forge = flags.forge ? await startDemoForge(kubectl, devStateDir(), log) : undefined;
      if (forge) beforeStop(() => forge.gitea.stop());
      const demo = await ensureDemo(kubectl, devStateDir(), {
        ...(forge ? { forge } : {}),
        ...(tailnet ? { tailnet } : {}),
      });
      // The first editor would otherwise wait for this install; meanwhile agents already run.
      void ensureCodeServer(log).catch((err: Error) =>
        log(`[code-server] install ${err instanceof StoppingError ? "stopped" : "failed"}: ${err.message}`),
      );
      // The api serves the dashboard from what it finds built when it starts.
      await ensureDashboard(log);
      // Only on loopback, and only because this cluster's admin is the person at the keyboard. The
      // run's token keeps other local users and the pages a browser opens from acting as that admin.
      const localToken = randomBytes(32).toString("base64url");
      const tls = flags.tls ? await ensureDevCertificate(join(devStateDir(), "tls")) : undefined;
      const api = await startApi({
        ...(tls ? { tls } : {}),
        kubeconfig: info.kubeconfig,
        listen: flags.listen,
        auth: "none",
        localToken,
        logLevel: flags.logLevel,
        log: logger("agentyard-api", "api"),
      });
      beforeStop(() => api.close());
      // `agentyard run` and friends find this run's api and token here (only this user can read it).
      const apiFile = devApiFile();
      await writeFile(
        apiFile,
        JSON.stringify({ url: api.url, token: localToken, ...(tls ? { ca: tls.certFile } : {}) }),
        { mode: 0o600 },
      );
      beforeStop(() => rm(apiFile, { force: true }));
      process.stdout.write(
        [
          "",
          "agentyard is running. What just happened: a Kubernetes control plane started on this",
          "machine with agentyard's CRDs, the operator and a node agent that runs agent pods as local",
          `processes, the api with the dashboard, and an Org "demo" whose agents push to ${demo.repo}.`,
          "",
          `  dashboard:  ${api.url}/#token=${localToken}`,
          `  api:        ${api.url}  (API docs: ${api.url}/docs)`,
          `  token:      export AGENTYARD_TOKEN=${localToken}   # this run's; every api request needs it`,
          ...(tls
            ? [`  TLS:        self-signed ${tls.certFile}; trust it in the browser, or curl --cacert it`]
            : []),
          ...(forge
            ? [
                `  forge:      ${forge.repo.htmlUrl}/pulls  (Gitea; sign in as ${forge.user.username}, password ${forge.user.password}; its data lasts this run)`,
              ]
            : []),
          ...(tailnet
            ? [
                `  tailnet:    ${tailnet.tailnet.controlUrl}  (this run's; the demo Org's editors join it as <org>-<task>-<hash>.${tailnet.tailnet.domain})`,
                `  TAILNET_PROXY=${socksHostname(tailnet.client.socks5Url as string)}   # your node "${tailnet.client.hostname}": a SOCKS5 proxy that resolves tailnet names`,
              ]
            : []),
          `  operator:   ${operator.metricsUrl}/metrics`,
          `  API server: ${info.server}`,
          `  KUBECONFIG=${info.kubeconfig}`,
          "",
          "In another terminal (agentyard run finds this run's api and token by itself):",
          '  npx agentyard run --org demo "Add a greeting to the README"   # a task, followed live (docs/cli.md)',
          "  npx agentyard tasks                                            # the tasks and their phases",
          `  curl -sS ${tls ? `--cacert ${tls.certFile} ` : ""}-X POST ${api.url}/schedule -H "Authorization: Bearer $AGENTYARD_TOKEN" -H 'Content-Type: application/json' -d '{"org": "demo", "task": "Say hello"}'`,
          "  npx agentyard dev kubectl get orgs,agenttasks -A",
          ...(tailnet
            ? [
                "  curl --socks5-hostname $TAILNET_PROXY <editorURL>/healthz   # a task's editor over the tailnet (its status.editorURL)",
              ]
            : []),
          forge
            ? `  open ${forge.repo.htmlUrl}/pulls      # the pull requests the demo Org's agents opened`
            : `  git --git-dir ${demo.repo} branch      # the branches the demo Org's agents pushed`,
          "",
          "Docs: README.md, docs/cli.md, docs/api.md, docs/operator.md. Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    });
}
