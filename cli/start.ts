import { Command } from "commander";
import { serveDevCluster } from "../devcluster/serve.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `npm start`: everything on this machine, in the foreground, until Ctrl-C. */
export function startCommand(): Command {
  return new Command("start")
    .description("run the devcluster with the CRDs installed in the foreground (Ctrl-C stops it)")
    .action(async () => {
      const cluster = await serveDevCluster(log);
      const info = cluster.info();
      process.stdout.write(
        [
          "",
          "agentyard is running.",
          `  KUBECONFIG=${info.kubeconfig}`,
          `  API server: ${info.server}`,
          "",
          "In another terminal:",
          "  npx agentyard dev kubectl get nodes",
          "  npx agentyard dev kubectl get crds",
          "",
          "Ctrl-C stops everything.",
          "",
        ].join("\n"),
      );
    });
}
