import type { Logger } from "@agentyard/kube-runtime/log";
import type { PullRequestConfig } from "../schema/contract/index.ts";
import { forgeTarget, type RemoteUrl } from "./forge.ts";
import type { PushOutcome } from "./handoff.ts";
import { openPullRequest } from "./pull-request.ts";
import type { Redactor } from "./redact.ts";

/** The pull request's texts, which the agent writes from the prompt and its summary. */
export interface PullRequestText {
  title: string;
  body: string;
}

export interface TaskPullRequest {
  /** What the Org and the task ask for; undefined: open none. */
  config: PullRequestConfig | undefined;
  remote: RemoteUrl;
  /** The token of the Org's git Secret; undefined when it holds none (an ssh key only). */
  token: string | undefined;
  head: string;
  base: string;
  text: PullRequestText;
  redactor: Redactor;
  log: Logger;
  signal?: AbortSignal;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Opens (or, for a rerun of the task, updates) the pull request of a branch just pushed. Never
 * throws: a pull request that cannot be opened leaves the push standing, and the reason is reported
 * beside the branch. A remote on no forge the runtime can name, and no spec.git.forge, gets none.
 */
export async function openTaskPullRequest(pr: TaskPullRequest): Promise<PushOutcome> {
  const { config, remote, log } = pr;
  if (!config) return {};
  const override = config.forge && {
    forge: config.forge.type,
    ...(config.forge.apiUrl ? { apiBase: config.forge.apiUrl } : {}),
  };
  const target = forgeTarget(remote, override);
  if (!target) {
    log.info(
      { repo: remote.url },
      "no pull request: the repository's host names no forge; set spec.git.forge on the Org to open them",
    );
    return {};
  }
  if (!pr.token) {
    return {
      pullRequestError: `no token to open the pull request on ${target.forge} with: the Org's git Secret needs a \`token\` key (an ssh key does not reach a forge's REST API)`,
    };
  }
  try {
    const opened = await openPullRequest({
      ...target,
      head: pr.head,
      base: pr.base,
      title: pr.text.title,
      body: pr.text.body,
      draft: config.draft,
      labels: config.labels,
      reviewers: config.reviewers,
      token: pr.token,
      ...(pr.signal ? { signal: pr.signal } : {}),
    });
    log.info({ number: opened.number, url: opened.url, state: opened.state }, "pull request");
    return {
      pullRequest: { forge: opened.forge, number: opened.number, url: opened.url, state: opened.state },
    };
  } catch (err) {
    const why = pr.redactor.redact(message(err));
    log.warn({ err: why }, "pull request failed");
    return { pullRequestError: why };
  }
}
