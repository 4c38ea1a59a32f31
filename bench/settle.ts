import { readAuditLog } from "../devcluster/audit.ts";
import { countWrites, type WriteCounts, type WriteFilter, type Writer } from "./writes.ts";

/**
 * Reads the audit log until `writer`'s count under `filter` has not moved for `quietMs` (or
 * `timeoutMs` passed): the writes a burst causes end a little after its last task runs (status,
 * the controller-manager's rollout bookkeeping), and a table should count them all.
 */
export async function settledWrites(
  auditLog: string,
  filter: WriteFilter,
  writers: readonly Writer[],
  { quietMs = 3000, timeoutMs = 60_000 }: { quietMs?: number; timeoutMs?: number } = {},
): Promise<WriteCounts> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  let since = performance.now();
  for (;;) {
    const counts = countWrites(await readAuditLog(auditLog), filter);
    const key = writers.map((w) => counts[w]).join(",");
    if (key !== last) {
      last = key;
      since = performance.now();
    } else if (performance.now() - since >= quietMs || performance.now() > deadline) {
      return counts;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
