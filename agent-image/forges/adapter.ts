import type { z } from "zod";
import type { PullRequestState } from "../../schema/pull-request.ts";
import type { PullRequestForge } from "../forge.ts";
import type { ForgeHttp } from "../forge-http.ts";

export type { PullRequestState } from "../../schema/pull-request.ts";

/** A pull (GitLab: merge) request as agentyard reports it. */
export interface PullRequest {
  forge: PullRequestForge;
  /** GitHub's and Gitea's number, GitLab's iid: what the forge's pages show after `#` or `!`. */
  number: number;
  /** The pull request's own web page. */
  url: string;
  state: PullRequestState;
  head: string;
  base: string;
}

/** What to open: `head` (a branch of `repo` itself) into `base`, with its title and body. */
export interface PullRequestChange {
  /** `owner/name`, or GitLab's full project path. */
  repo: string;
  head: string;
  base: string;
  title: string;
  body: string;
  draft?: boolean | undefined;
  labels?: string[] | undefined;
  /** User names. */
  reviewers?: string[] | undefined;
}

/** One forge's REST API for pull requests, as the documents of that forge describe it. */
export interface ForgeAdapter {
  /** The token's header, as the forge documents it. */
  auth(token: string): Record<string, string>;
  headers?: Record<string, string>;
  /** The open pull request for head → base; without one, the newest closed or merged one. */
  find(http: ForgeHttp, change: PullRequestChange): Promise<PullRequest | undefined>;
  create(http: ForgeHttp, change: PullRequestChange): Promise<PullRequest>;
  /** A new title and body for an open pull request. */
  update(http: ForgeHttp, change: PullRequestChange, number: number): Promise<PullRequest>;
}

/** The repository's path as one URL path segment per part, each escaped. */
export const repoPath = (repo: string) => repo.split("/").map(encodeURIComponent).join("/");

/** The open one of several answers, else the first (the forges list newest first). */
export function openOrNewest(found: PullRequest[]): PullRequest | undefined {
  return found.find((pr) => pr.state === "open") ?? found[0];
}

/** A forge's answer in the shape its documents give, or a PullRequestError naming the request. */
export function parseAnswer<T>(http: ForgeHttp, schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw http.fail(
    `${what}: the answer is not the documented one (${issue?.path.join(".") || "body"}: ${issue?.message})`,
  );
}
