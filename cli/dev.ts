import { Command } from "commander";
import { ensureBinaries } from "../devcluster/build.ts";
import { ensureCodeServer } from "../devcluster/code-server.ts";
import { ensureDebianPackages, missingPackages, PROJECT_PACKAGES } from "../devcluster/debian.ts";
import { devDown, devKubectl, devUp, runningDevCluster } from "../devcluster/dev.ts";
import { ensureGitea } from "../devcluster/gitea.ts";
import { regenerateGiteaGoMod } from "../devcluster/gitea-gomod.ts";
import { regenerateKubeGoMod } from "../devcluster/kube-gomod.ts";
import { ensureTailscale } from "../devcluster/tailscale.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

export function devCommand(): Command {
  const dev = new Command("dev").description("a real local Kubernetes control plane for development");

  dev
    .command("up")
    .description("start the devcluster in the background (building it on first use) and install the CRDs")
    .action(async () => {
      const info = await devUp(log);
      process.stdout.write(
        [
          `KUBECONFIG=${info.kubeconfig}`,
          "",
          `The devcluster serves ${info.server}. Next steps:`,
          "  npx agentyard dev kubectl get nodes",
          `  export KUBECONFIG=${info.kubeconfig}   # for your own kubectl`,
          "  npx agentyard dev down",
          "",
        ].join("\n"),
      );
    });

  dev
    .command("down")
    .description("stop the devcluster (its data stays for the next `dev up`)")
    .action(async () => {
      log((await devDown()) ? "[devcluster] stopped" : "[devcluster] none was running");
    });

  dev
    .command("status")
    .description("show whether a devcluster runs and how to reach it")
    .action(async () => {
      const info = await runningDevCluster();
      if (!info) {
        process.stdout.write("no devcluster is running\n");
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`KUBECONFIG=${info.kubeconfig}\nserver ${info.server}\n`);
    });

  dev
    .command("kubectl")
    .description("run the devcluster's kubectl against it")
    .argument("[args...]", "kubectl arguments")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      process.exitCode = await devKubectl(args);
    });

  dev
    .command("build")
    .description("build (or find in the cache) kube-apiserver, etcd, kwok and friends")
    .action(async () => {
      const binaries = await ensureBinaries(log);
      process.stdout.write(`${binaries.dir}\n`);
    });

  dev
    .command("code-server")
    .description("install (or find in the cache) the code-server that npm start's editors run")
    .action(async () => {
      const installed = await ensureCodeServer(log);
      process.stdout.write(`${JSON.stringify(installed)}\n`);
    });

  dev
    .command("gitea")
    .description("build (or find in the cache) the Gitea that the forge tests and `npm start -- --forge` run")
    .action(async () => {
      const gitea = await ensureGitea(log);
      process.stdout.write(`${JSON.stringify(gitea)}\n`);
    });

  dev
    .command("tailscale")
    .description(
      "build (or find in the cache) the tailscaled, tailscale and test control server of the local tailnet",
    )
    .action(async () => {
      const tailscale = await ensureTailscale(log);
      process.stdout.write(`${JSON.stringify(tailscale)}\n`);
    });

  dev
    .command("packages")
    .description(
      "install the Debian packages that editors and tests need (as root), or with --check list the missing",
    )
    .option("--check", "only list what is missing; exit 1 if anything is")
    .action(async (flags: { check?: boolean }) => {
      if (flags.check) {
        const missing = await missingPackages(PROJECT_PACKAGES);
        process.stdout.write(missing.length ? `missing: ${missing.join(" ")}\n` : "all present\n");
        if (missing.length) process.exitCode = 1;
        return;
      }
      await ensureDebianPackages(PROJECT_PACKAGES, log);
      log(`[debian] present: ${PROJECT_PACKAGES.map((pkg) => pkg.name).join(", ")}`);
    });

  dev
    .command("gomod")
    .description(
      "regenerate the go.mod files of devcluster/go/kube and devcluster/go/gitea from their upstreams' own",
    )
    .action(async () => {
      await regenerateKubeGoMod();
      log("[devcluster] devcluster/go/kube/go.mod regenerated");
      await regenerateGiteaGoMod();
      log("[devcluster] devcluster/go/gitea/go.mod regenerated");
    });

  return dev;
}
