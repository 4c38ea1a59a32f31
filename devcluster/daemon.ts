import { serveDevCluster } from "./serve.ts";

/** The detached process behind `agentyard dev up`: it owns the cluster until SIGTERM. */
await serveDevCluster((line) => process.stdout.write(`${line}\n`));
process.stdout.write("[devcluster] ready\n");
