/**
 * Bundles `agentyard operator` into one JavaScript file: `npm run build:operator` writes
 * dist/operator/agentyard-operator.mjs, which the image runs for the operator. One bundled file
 * costs the process less than the same code as modules: no type stripping (17 MiB of RSS for
 * Node's stripper alone) and no module records for the thousands of files its dependencies are
 * made of (docs/benchmarks.md). esbuild takes about a second, so it is built anew each time.
 */
import { join } from "node:path";
import { build } from "esbuild";
import { projectRoot } from "../devcluster/paths.ts";
import { NODE_BUNDLE } from "./node-bundle.ts";

export const OPERATOR_BUNDLE = join(projectRoot, "dist", "operator", "agentyard-operator.mjs");

export async function buildOperatorBundle(outfile = OPERATOR_BUNDLE): Promise<string> {
  await build({
    entryPoints: [join(projectRoot, "cli", "operator-main.ts")],
    outfile,
    ...NODE_BUNDLE,
  });
  return outfile;
}

if (import.meta.main) {
  process.stdout.write(`${await buildOperatorBundle()}\n`);
}
