import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { App } from "cdk8s";
import { parse } from "yaml";
import { chartDir } from "../charts/generate.ts";
import { resolveValues, type ValuesInput } from "../charts/values.ts";
import pkg from "../package.json" with { type: "json" };
import { AgentyardInstall } from "./install.ts";

export interface SynthOptions {
  release?: string;
  namespace?: string;
  values?: ValuesInput;
}

function install(app: App, options: SynthOptions): AgentyardInstall {
  return new AgentyardInstall(app, "agentyard", {
    release: options.release ?? "agentyard",
    namespace: options.namespace ?? "agentyard-system",
    values: resolveValues(options.values ?? {}),
    appVersion: pkg.version,
    crdsDir: join(chartDir, "crds"),
  });
}

/** The install's objects for the given values (the chart's values.yaml schema), as plain JSON. */
export function synthesize(options: SynthOptions = {}): Record<string, unknown>[] {
  return install(new App(), options).toJson() as Record<string, unknown>[];
}

/** `npm run cdk8s -- [--values file.yaml] [--release name] [--namespace ns] [--out dir]`: writes <out>/agentyard.k8s.yaml. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      values: { type: "string" },
      release: { type: "string", default: "agentyard" },
      namespace: { type: "string", default: "agentyard-system" },
      out: { type: "string", default: "cdk8s/dist" },
    },
  });
  const input = values.values ? ((parse(await readFile(values.values, "utf8")) ?? {}) as ValuesInput) : {};
  const app = new App({ outdir: values.out });
  install(app, { release: values.release, namespace: values.namespace, values: input });
  app.synth();
  process.stdout.write(`wrote ${join(values.out, "agentyard.k8s.yaml")}\n`);
}

if (import.meta.main) await main();
