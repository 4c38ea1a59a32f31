import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../devcluster/paths.ts";
import { ETCD_VERSION, KUBERNETES_VERSION, KWOK_VERSION } from "../devcluster/versions.ts";

export const BENCHMARKS_FILE = join(projectRoot, "docs", "benchmarks.md");

const HEADER = `# Benchmarks

Results of \`npm run bench\` (bench/), newest first. Each benchmark starts a devcluster of its own,
runs the operator or the api as a process with the image's V8 flags (\`agentyard operator\` with
leader election on, \`agentyard api\` with token authentication), measures its baselines in the same
run and reports ratios against them; the notes under each table say how it was measured and what
bounds its figures.

- \`npm run bench\`: burst (N = 100), memory (0 and 1,000 tasks), restart (N = 100), rest, live.
- \`npm run bench -- burst --tasks 100,1000\`: AgentTasks to Running, 10 creates in flight, against
  (a) raw ConfigMap creates, (b) the operator's own object set created directly by a client, to
  pods Ready, (c) a Pod + Service per task; writes per task of each component from the audit log.
- \`npm run bench -- memory --tasks 1000,10000\`: the operator's RSS (VmRSS, VmHWM) at 0 tasks and each size,
  then a restart with the largest size present (every task Starting, its children applied, no pods).
- \`npm run bench -- restart --tasks 100\`: restart the operator with N tasks Running; time until its
  caches are synced, writes in the 30 s after.
- \`npm run bench -- rest --requests 200 --in-flight 1,8,32\`: POST /schedule to \`agentyard api\`
  against raw AgentTask creates by the same user, with its RSS.
- \`npm run bench -- live --clients 100 --writes 50\`: SSE clients of the api, from a status write
  to its delivery, against a watch on the API server, with the api's RSS.
- \`npm run bench -- smoke\`: CI's check (N = 20), no table; fails past the limits in bench/smoke.ts.
- \`--no-record\` prints without writing this file; \`--concurrency <n>\` sets the creates in flight
  of burst, memory, restart and smoke.

`;

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

/** Read when the run starts: a commit made while a long run goes on did not make its figures. */
const COMMIT = commit();

/** Where a figure was measured: cores, memory, the control plane's and Node's versions, the commit. */
export function machine(): string {
  const cores = cpus();
  const memory = `${Math.round(totalmem() / 1024 ** 3)} GiB`;
  return [
    `${cores.length} cores (${cores[0]?.model.trim() ?? "unknown CPU"}), ${memory}`,
    `Node ${process.version}`,
    `kube-apiserver ${KUBERNETES_VERSION}, etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION}`,
    `agentyard ${COMMIT}`,
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
