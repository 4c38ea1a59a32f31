import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { renderCrdFiles } from "../schema/crd-yaml.ts";

export function crdsCommand(): Command {
  return new Command("crds")
    .description("write the CustomResourceDefinitions generated from the zod schemas in schema/")
    .option("--out <dir>", "directory of the CRD files", "crds")
    .option("--check", "write nothing; exit non-zero naming the files that differ from the schemas")
    .action(async (options: { out: string; check?: boolean }) => {
      const files = renderCrdFiles();
      if (options.check) {
        const drifted = await driftedFiles(options.out, files);
        if (drifted.length > 0) {
          process.stderr.write(`out of date with schema/: ${drifted.join(", ")}; run \`npm run crds\`\n`);
          process.exitCode = 1;
        }
        return;
      }
      await mkdir(options.out, { recursive: true });
      for (const { name, text } of files) {
        await writeFile(join(options.out, name), text);
        process.stdout.write(`wrote ${join(options.out, name)}\n`);
      }
    });
}

async function driftedFiles(dir: string, files: { name: string; text: string }[]): Promise<string[]> {
  const drifted: string[] = [];
  for (const { name, text } of files) {
    const path = join(dir, name);
    const current = await readFile(path, "utf8").catch(() => undefined);
    if (current !== text) drifted.push(path);
  }
  return drifted;
}
