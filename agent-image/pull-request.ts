import type { ForgeTarget, PullRequestForge } from "./forge.ts";
import { ForgeHttp, PullRequestError } from "./forge-http.ts";
import type { ForgeAdapter, PullRequest, PullRequestChange } from "./forges/adapter.ts";
import { gitea } from "./forges/gitea.ts";
import { github } from "./forges/github.ts";
import { gitlab } from "./forges/gitlab.ts";

export { PullRequestError } from "./forge-http.ts";
export type { PullRequest, PullRequestState } from "./forges/adapter.ts";

const ADAPTERS: Record<PullRequestForge, ForgeAdapter> = { gitea, github, gitlab };

/** Each request's deadline unless the caller sets one. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export interface PullRequestOptions extends ForgeTarget, Omit<PullRequestChange, "repo"> {
  token: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens the pull request of `head` into `base` and returns it. When one is already open for that
 * head → base (a retry), its title and body are updated instead. When the only one is closed or
 * merged, it is returned as it is: a person closed it, and the agent neither reopens it nor opens
 * another beside it. Labels and reviewers are set when the pull request is opened. Any refusal or
 * failure is a PullRequestError; neither it nor the result holds the token.
 */
export async function openPullRequest(options: PullRequestOptions): Promise<PullRequest> {
  const adapter = ADAPTERS[options.forge];
  if (!adapter)
    throw new PullRequestError(options.forge, `no pull request API for forge ${String(options.forge)}`);
  const http = new ForgeHttp({
    forge: options.forge,
    apiBase: options.apiBase.replace(/\/+$/, ""),
    token: options.token,
    auth: adapter.auth,
    headers: adapter.headers,
    timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    signal: options.signal,
  });
  const change: PullRequestChange = {
    repo: options.repo,
    head: options.head,
    base: options.base,
    title: options.title,
    body: options.body,
    draft: options.draft,
    labels: options.labels,
    reviewers: options.reviewers,
  };
  const existing = await adapter.find(http, change);
  if (existing) return existing.state === "open" ? adapter.update(http, change, existing.number) : existing;
  try {
    return await adapter.create(http, change);
  } catch (err) {
    // Another run opened it between the look-up and the create (the forges answer 409 or 422).
    if (!(err instanceof PullRequestError) || (err.status !== 409 && err.status !== 422)) throw err;
    const raced = await adapter.find(http, change);
    if (raced?.state !== "open") throw err;
    return adapter.update(http, change, raced.number);
  }
}
