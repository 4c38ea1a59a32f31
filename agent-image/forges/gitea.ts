import { z } from "zod";
import type { ForgeHttp } from "../forge-http.ts";
import {
  type ForgeAdapter,
  type PullRequest,
  type PullRequestChange,
  parseAnswer,
  repoPath,
} from "./adapter.ts";

/** Gitea's (and Forgejo's) pull request object, the fields agentyard reads (API v1). */
const GiteaPull = z.object({
  number: z.int(),
  html_url: z.string(),
  state: z.enum(["open", "closed"]),
  merged: z.boolean().nullish(),
  head: z.object({ ref: z.string(), repo_id: z.int().nullish() }),
  base: z.object({ ref: z.string(), repo_id: z.int().nullish() }),
});
type GiteaPull = z.infer<typeof GiteaPull>;

function pullRequest(data: GiteaPull): PullRequest {
  return {
    forge: "gitea",
    number: data.number,
    url: data.html_url,
    state: data.merged ? "merged" : data.state,
    head: data.head.ref,
    base: data.base.ref,
  };
}

const pulls = (change: PullRequestChange) => `/repos/${repoPath(change.repo)}/pulls`;

/** A page holds at most this many items unless the server was told otherwise (MAX_RESPONSE_ITEMS). */
const PAGE = 50;

/** Gitea's default WORK_IN_PROGRESS_PREFIXES: a title starting with one makes a pull request a draft. */
const title = (change: PullRequestChange) =>
  change.draft && !/^(wip:|\[wip\])/i.test(change.title) ? `WIP: ${change.title}` : change.title;

/** Labels are given by id: each name is looked up among the repository's labels. */
async function labelIds(http: ForgeHttp, change: PullRequestChange, names: string[]): Promise<number[]> {
  const byName = new Map<string, number>();
  for (let page = 1; ; page++) {
    const { data } = await http.send("GET", `/repos/${repoPath(change.repo)}/labels`, {
      query: { page: String(page), limit: String(PAGE) },
    });
    const labels = parseAnswer(
      http,
      z.array(z.object({ id: z.int(), name: z.string() })),
      data,
      "listing labels",
    );
    for (const label of labels) byName.set(label.name, label.id);
    if (labels.length < PAGE) break;
  }
  const missing = names.filter((name) => !byName.has(name));
  if (missing.length) throw http.fail(`${change.repo} has no label ${missing.join(", ")}: create it first`);
  return names.map((name) => byName.get(name) as number);
}

/** The open pull requests into `base`, page by page, looking for one from `head`. */
async function openFrom(http: ForgeHttp, change: PullRequestChange): Promise<PullRequest | undefined> {
  for (let page = 1; ; page++) {
    const { data } = await http.send("GET", pulls(change), {
      query: { state: "open", base_branch: change.base, page: String(page), limit: String(PAGE) },
    });
    const found = parseAnswer(http, z.array(GiteaPull), data, "listing pull requests");
    const match = found.find((pr) => pr.head.ref === change.head && pr.head.repo_id === pr.base.repo_id);
    if (match) return pullRequest(match);
    if (found.length < PAGE) return undefined;
  }
}

export const gitea: ForgeAdapter = {
  auth: (token) => ({ authorization: `token ${token}` }),

  async find(http, change) {
    // One request in the usual case; it answers one pull request of head → base, open or not.
    const { status, data } = await http.send(
      "GET",
      `${pulls(change)}/${encodeURIComponent(change.base)}/${repoPath(change.head)}`,
      { expect: [404] },
    );
    if (status === 404) return undefined;
    const found = pullRequest(parseAnswer(http, GiteaPull, data, "looking up the pull request"));
    return found.state === "open" ? found : ((await openFrom(http, change)) ?? found);
  },

  async create(http, change) {
    const body: Record<string, unknown> = {
      head: change.head,
      base: change.base,
      title: title(change),
      body: change.body,
    };
    if (change.labels?.length) body.labels = await labelIds(http, change, change.labels);
    if (change.reviewers?.length) body.reviewers = change.reviewers;
    const { data } = await http.send("POST", pulls(change), { body });
    return pullRequest(parseAnswer(http, GiteaPull, data, "opening a pull request"));
  },

  async update(http, change, number) {
    const { data } = await http.send("PATCH", `${pulls(change)}/${number}`, {
      body: { title: title(change), body: change.body },
    });
    return pullRequest(parseAnswer(http, GiteaPull, data, "updating a pull request"));
  },
};
