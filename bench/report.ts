import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../devcluster/paths.ts";
import { ETCD_VERSION, KUBERNETES_VERSION, KWOK_VERSION } from "../devcluster/versions.ts";

export const BENCHMARKS_FILE = join(projectRoot, "docs", "benchmarks.md");

const HEADER =
  "# Benchmarks\n\nResults of `npm run bench` (bench/). Each benchmark measures its baselines in the same run, on the same devcluster, and reports ratios against them. Newest first.\n\n";

/** One benchmark's result: a heading, the table, and what bounds its figures. */
export interface Section {
  title: string;
  command: string;
  table: string;
  notes: readonly string[];
}

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: projectRoot,
      encoding: "utf8",
    }).trim();
  } catch {
    return "unknown";
  }
}

/** Where a figure was measured: cores, memory, the control plane's and Node's versions, the commit. */
export function machine(): string {
  const cores = cpus();
  const memory = `${Math.round(totalmem() / 1024 ** 3)} GiB`;
  return [
    `${cores.length} cores (${cores[0]?.model.trim() ?? "unknown CPU"}), ${memory}`,
    `Node ${process.version}`,
    `kube-apiserver ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION}`,
    `agentyard ${commit()}`,
  ].join("; ");
}

export function renderSection(section: Section, date = new Date()): string {
  return [
    `## ${section.title} (${date.toISOString().slice(0, 16).replace("T", " ")} UTC)`,
    "",
    `Command: \`${section.command}\`. Machine: ${machine()}.`,
    "",
    section.table,
    "",
    ...section.notes.map((n) => `- ${n}`),
    "",
  ].join("\n");
}

/** Puts `text` first under the file's header, older results after it. */
export function prependResult(existing: string | undefined, text: string): string {
  const rest =
    existing === undefined ? "" : existing.startsWith("# Benchmarks\n") ? afterHeader(existing) : existing;
  return `${HEADER}${text}\n${rest}`;
}

/** Everything after the header: from the first result heading on. */
function afterHeader(existing: string): string {
  const first = existing.indexOf("\n## ");
  return first === -1 ? "" : existing.slice(first + 1);
}

export async function appendToBenchmarks(text: string, file = BENCHMARKS_FILE): Promise<void> {
  const existing = await readFile(file, "utf8").catch(() => undefined);
  await writeFile(file, prependResult(existing, text));
}
