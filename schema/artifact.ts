import { z } from "zod";
import { COMMIT, DiffstatSchema, type LastPR, MAX_SUMMARY_LENGTH } from "./agenttask.ts";

/**
 * The agent's last_pr.json. Unknown keys are dropped rather than refused so that an agent image newer
 * than the operator still reports its work.
 */
export const LastPRArtifactSchema = z.object({
  task: z.string().min(1, "must name the AgentTask"),
  org: z.string().min(1, "must name the Org"),
  repo: z.string().min(1, "must be the repository URL, without credentials"),
  baseBranch: z.string().min(1, "must be the branch the work started from"),
  branch: z.string().min(1, "must be the branch the agent pushed"),
  commit: z.string().regex(COMMIT, "must be a hexadecimal commit id"),
  title: z.string().max(1024),
  summary: z.string(),
  diffstat: DiffstatSchema,
  url: z.string().optional(),
  exitCode: z.int(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type LastPRArtifact = z.infer<typeof LastPRArtifactSchema>;

/** The status view of an artifact; a summary longer than the status allows is cut with a marker. */
export function toLastPR(artifact: LastPRArtifact): LastPR {
  const cut = "\n[truncated]";
  const summary =
    artifact.summary.length > MAX_SUMMARY_LENGTH
      ? artifact.summary.slice(0, MAX_SUMMARY_LENGTH - cut.length) + cut
      : artifact.summary;
  const lastPR: LastPR = {
    branch: artifact.branch,
    commit: artifact.commit,
    base: artifact.baseBranch,
    title: artifact.title,
    summary,
    diffstat: artifact.diffstat,
  };
  return artifact.url ? { ...lastPR, url: artifact.url } : lastPR;
}
