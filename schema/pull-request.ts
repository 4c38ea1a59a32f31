import { z } from "zod";
import { listSet } from "./extensions.ts";
import { boundedString, matching } from "./formats.ts";

/** The forges whose REST API opens pull (merge) requests. */
export const PULL_REQUEST_FORGES = ["gitea", "github", "gitlab"] as const;
export const PullRequestForgeSchema = z
  .enum(PULL_REQUEST_FORGES)
  .describe("gitea (Gitea and Forgejo), github (GitHub and GitHub Enterprise) or gitlab.");
export type PullRequestForge = z.infer<typeof PullRequestForgeSchema>;

export const PullRequestStateSchema = z
  .enum(["open", "closed", "merged"])
  .describe("open, closed (by a person, unmerged) or merged.");
export type PullRequestState = z.infer<typeof PullRequestStateSchema>;

/** http(s), a host, an optional path; no credentials (the token comes from the Org's git Secret). */
const API_URL = /^https?:\/\/[^\s/@?#]+(\/[^\s?#@]*)?$/;

export const ForgeSchema = z
  .strictObject({
    type: PullRequestForgeSchema,
    apiUrl: matching(
      API_URL,
      2048,
      "must be the forge's REST API base, http(s)://host[/path] without credentials, e.g. https://gitea.example.com/api/v1",
    )
      .optional()
      .describe(
        "The forge's REST API base, e.g. https://gitlab.example.com/api/v4; where the forge serves it on the repository's host when omitted (/api/v1 Gitea, /api/v3 GitHub Enterprise, /api/v4 GitLab).",
      ),
  })
  .describe(
    "The forge the repository is on, for hosts whose name does not tell (self-hosted ones). github.com, gitlab.com, codeberg.org and hosts named github.*, gitlab.*, gitea.* or forgejo.* are recognised when omitted.",
  );
export type Forge = z.infer<typeof ForgeSchema>;

const label = () => boundedString(100).min(1, "must not be empty");
/** A forge user name: no spaces or control characters, which no forge allows in one. */
const reviewer = () =>
  matching(/^[^\s\p{Cc}]+$/u, 100, "must be a user name of the forge, without spaces (e.g. alice)");

const labels = () =>
  listSet(z.array(label()).max(20, "must have at most 20 entries")).describe(
    "Labels the pull request gets when it is opened; each must exist on the forge.",
  );
const reviewers = () =>
  listSet(z.array(reviewer()).max(20, "must have at most 20 entries")).describe(
    "Users asked to review the pull request when it is opened.",
  );

export const PullRequestsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Open a pull request after each push, with the token of spec.git.credentialsSecretRef; false pushes the branch only.",
      ),
    draft: z.boolean().default(false).describe("Open pull requests as drafts."),
    labels: labels().default([]),
    reviewers: reviewers().default([]),
    failTaskOnError: z
      .boolean()
      .default(false)
      .describe(
        "A pull request that cannot be opened fails the task (and its retries run it again). False: the task succeeds with its branch pushed and the reason in status.artifacts.lastPR.pullRequestError.",
      ),
  })
  .describe("The pull requests the Org's agents open after they push.");
export type PullRequests = z.infer<typeof PullRequestsSchema>;

export const TaskPullRequestSchema = z
  .strictObject({
    draft: z.boolean().optional().describe("Open it as a draft; the Org's setting when omitted."),
    labels: labels().optional(),
    reviewers: reviewers().optional(),
  })
  .describe("This task's pull request, where it differs from the Org's spec.git.pullRequests.");
export type TaskPullRequest = z.infer<typeof TaskPullRequestSchema>;
