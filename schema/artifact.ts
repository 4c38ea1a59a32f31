import { z } from "zod";
import { COMMIT, DiffstatSchema, type LastPR, LastPRSchema } from "./agenttask.ts";
import { codePointLength } from "./formats.ts";
import { PullRequestForgeSchema, PullRequestStateSchema } from "./pull-request.ts";

/**
 * The agent's last_pr.json. Unknown keys are dropped rather than refused so that an agent image newer
 * than the operator still reports its work. Lengths are not refused here: a text longer than the
 * status allows is cut by fitArtifact, so a pushed change is never reported as no change.
 */
export const LastPRArtifactSchema = z.object({
  task: z.string().min(1, "must name the AgentTask"),
  org: z.string().min(1, "must name the Org"),
  repo: z.string().min(1, "must be the repository URL, without credentials"),
  baseBranch: z.string().min(1, "must be the branch the work started from"),
  branch: z.string().min(1, "must be the branch the agent pushed"),
  commit: z.string().regex(COMMIT, "must be a hexadecimal commit id"),
  title: z.string(),
  summary: z.string(),
  diffstat: DiffstatSchema,
  url: z.string().optional(),
  forge: PullRequestForgeSchema.optional(),
  number: z.int().min(1).optional(),
  state: PullRequestStateSchema.optional(),
  pullRequestError: z.string().optional(),
  exitCode: z.int(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type LastPRArtifact = z.infer<typeof LastPRArtifactSchema>;

/** Marks the end of a text that was cut. */
export const TRUNCATED = "…";

/**
 * `text` if it fits in `max` characters, else its start and the marker, `max` characters in all.
 * Characters are code points, as the CRD counts them; a cut never splits a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (codePointLength(text) <= max) return text;
  return [...text].slice(0, max - TRUNCATED.length).join("") + TRUNCATED;
}

function maxLength(schema: z.ZodString): number {
  if (schema.maxLength === null) throw new Error("a status text of the agent's artifact has no maxLength");
  return schema.maxLength;
}

/**
 * The bound of each text of the artifact: the maxLength of the status field it lands in, which is the
 * CRD's maxLength as well, since the CRD is generated from LastPRSchema.
 */
export const ARTIFACT_LIMITS = {
  branch: maxLength(LastPRSchema.shape.branch),
  baseBranch: maxLength(LastPRSchema.shape.base),
  title: maxLength(LastPRSchema.shape.title),
  summary: maxLength(LastPRSchema.shape.summary),
  url: maxLength(LastPRSchema.shape.url.unwrap()),
  pullRequestError: maxLength(LastPRSchema.shape.pullRequestError.unwrap()),
} as const;

export interface FitArtifact {
  artifact: LastPRArtifact;
  /** The texts that were cut, with the length they had, e.g. "branch (5000 characters)". */
  cut: string[];
}

/** The artifact with every text the status would refuse cut to its bound and marked. */
export function fitArtifact(artifact: LastPRArtifact): FitArtifact {
  const fit: LastPRArtifact = { ...artifact };
  const cut: string[] = [];
  for (const [field, max] of Object.entries(ARTIFACT_LIMITS) as [keyof typeof ARTIFACT_LIMITS, number][]) {
    const text = fit[field];
    if (text === undefined) continue;
    const length = codePointLength(text);
    if (length <= max) continue;
    fit[field] = truncate(text, max);
    cut.push(`${field} (${length} characters, at most ${max})`);
  }
  return { artifact: fit, cut };
}

/** The status view of an artifact, every text within the bounds of the status. */
export function toLastPR(artifact: LastPRArtifact): LastPR {
  const fit = fitArtifact(artifact).artifact;
  const lastPR: LastPR = {
    branch: fit.branch,
    commit: fit.commit,
    base: fit.baseBranch,
    title: fit.title,
    summary: fit.summary,
    diffstat: fit.diffstat,
  };
  if (fit.url) lastPR.url = fit.url;
  if (fit.forge) lastPR.forge = fit.forge;
  if (fit.number !== undefined) lastPR.number = fit.number;
  if (fit.state) lastPR.state = fit.state;
  if (fit.pullRequestError) lastPR.pullRequestError = fit.pullRequestError;
  return lastPR;
}
