import { z } from "zod";
import type { ForgeHttp } from "../forge-http.ts";
import {
  type ForgeAdapter,
  openOrNewest,
  type PullRequest,
  type PullRequestChange,
  parseAnswer,
} from "./adapter.ts";

/** GitLab's merge request object, the fields agentyard reads (REST API v4, "Merge requests"). */
const GitLabMergeRequest = z.object({
  iid: z.int(),
  web_url: z.string(),
  state: z.enum(["opened", "closed", "merged", "locked"]),
  source_branch: z.string(),
  target_branch: z.string(),
});

function pullRequest(data: z.infer<typeof GitLabMergeRequest>): PullRequest {
  return {
    forge: "gitlab",
    number: data.iid,
    url: data.web_url,
    // A locked merge request is an open one whose discussion is closed.
    state: data.state === "merged" ? "merged" : data.state === "closed" ? "closed" : "open",
    head: data.source_branch,
    base: data.target_branch,
  };
}

/** A project's `:id` may be its full path, URL-encoded as one segment. */
const mergeRequests = (change: PullRequestChange) =>
  `/projects/${encodeURIComponent(change.repo)}/merge_requests`;

/** GitLab has no draft field: a title starting with `Draft:` makes a merge request a draft. */
const title = (change: PullRequestChange) =>
  change.draft && !/^draft:/i.test(change.title) ? `Draft: ${change.title}` : change.title;

/** Reviewers are given by user id: each user name is looked up. */
async function reviewerIds(http: ForgeHttp, usernames: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const username of usernames) {
    const { data } = await http.send("GET", "/users", { query: { username } });
    const [user] = parseAnswer(
      http,
      z.array(z.object({ id: z.int() })),
      data,
      `looking up reviewer ${username}`,
    );
    if (!user) throw http.fail(`reviewer ${username} is not a user of this GitLab`);
    ids.push(user.id);
  }
  return ids;
}

export const gitlab: ForgeAdapter = {
  auth: (token) => ({ authorization: `Bearer ${token}` }),

  async find(http, change) {
    const { data } = await http.send("GET", mergeRequests(change), {
      query: { source_branch: change.head, target_branch: change.base, state: "all", per_page: "100" },
    });
    const found = parseAnswer(http, z.array(GitLabMergeRequest), data, "listing merge requests");
    return openOrNewest(found.map(pullRequest));
  },

  async create(http, change) {
    const body: Record<string, unknown> = {
      source_branch: change.head,
      target_branch: change.base,
      title: title(change),
      description: change.body,
    };
    if (change.labels?.length) body.labels = change.labels.join(",");
    if (change.reviewers?.length) body.reviewer_ids = await reviewerIds(http, change.reviewers);
    const { data } = await http.send("POST", mergeRequests(change), { body });
    return pullRequest(parseAnswer(http, GitLabMergeRequest, data, "opening a merge request"));
  },

  async update(http, change, number) {
    const { data } = await http.send("PUT", `${mergeRequests(change)}/${number}`, {
      body: { title: title(change), description: change.body },
    });
    return pullRequest(parseAnswer(http, GitLabMergeRequest, data, "updating a merge request"));
  },
};
