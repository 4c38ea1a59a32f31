import { COMPONENT_NAMES, DevCluster } from "../../devcluster/cluster.ts";

/** Starts a cluster and prints its pids, then waits to be killed: the orphan test's subject. */
const cluster = await DevCluster.start({ name: "orphan", dir: process.argv[2] });
const pids = COMPONENT_NAMES.map((c) => cluster.pid(c));
process.stdout.write(`PIDS ${JSON.stringify(pids)}\n`);
setInterval(() => {}, 60_000);
