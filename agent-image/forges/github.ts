import { z } from "zod";
import type { ForgeHttp } from "../forge-http.ts";
import {
  type ForgeAdapter,
  openOrNewest,
  type PullRequest,
  type PullRequestChange,
  parseAnswer,
  repoPath,
} from "./adapter.ts";

/** GitHub's pull request object, the fields agentyard reads (REST API "Pulls", version 2022-11-28). */
const GitHubPull = z.object({
  number: z.int(),
  html_url: z.string(),
  state: z.enum(["open", "closed"]),
  merged_at: z.string().nullish(),
  head: z.object({ ref: z.string() }),
  base: z.object({ ref: z.string() }),
});

function pullRequest(data: z.infer<typeof GitHubPull>): PullRequest {
  return {
    forge: "github",
    number: data.number,
    url: data.html_url,
    state: data.merged_at ? "merged" : data.state,
    head: data.head.ref,
    base: data.base.ref,
  };
}

const pulls = (change: PullRequestChange) => `/repos/${repoPath(change.repo)}/pulls`;

export const github: ForgeAdapter = {
  auth: (token) => ({ authorization: `Bearer ${token}` }),
  headers: { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },

  async find(http, change) {
    const owner = change.repo.split("/")[0] ?? "";
    const { data } = await http.send("GET", pulls(change), {
      query: { head: `${owner}:${change.head}`, base: change.base, state: "all", per_page: "100" },
    });
    const found = parseAnswer(http, z.array(GitHubPull), data, "listing pull requests");
    return openOrNewest(found.map(pullRequest));
  },

  async create(http, change) {
    const { data } = await http.send("POST", pulls(change), {
      body: {
        title: change.title,
        head: change.head,
        base: change.base,
        body: change.body,
        draft: change.draft ?? false,
      },
    });
    const created = pullRequest(parseAnswer(http, GitHubPull, data, "opening a pull request"));
    const path = repoPath(change.repo);
    // Labels and reviewers are not fields of the create request: they have endpoints of their own.
    if (change.labels?.length) {
      await http.send("POST", `/repos/${path}/issues/${created.number}/labels`, {
        body: { labels: change.labels },
      });
    }
    if (change.reviewers?.length) {
      await http.send("POST", `/repos/${path}/pulls/${created.number}/requested_reviewers`, {
        body: { reviewers: change.reviewers },
      });
    }
    return created;
  },

  async update(http: ForgeHttp, change, number) {
    const { data } = await http.send("PATCH", `${pulls(change)}/${number}`, {
      body: { title: change.title, body: change.body },
    });
    return pullRequest(parseAnswer(http, GitHubPull, data, "updating a pull request"));
  },
};
