import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPullRequest, PullRequestError } from "../pull-request.ts";
import { type RecordingServer, recordingServer } from "./recording-server.test-support.ts";

const TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";

/** A pull request as GitHub's REST API documents it ("Get a pull request", API version 2022-11-28), abridged. */
function documentedPull(
  overrides: { number?: number; state?: string; merged_at?: string | null; html_url?: string } = {},
) {
  const number = overrides.number ?? 1347;
  return {
    url: `https://api.github.com/repos/octocat/Hello-World/pulls/${number}`,
    id: 1,
    node_id: "MDExOlB1bGxSZXF1ZXN0MQ==",
    html_url: overrides.html_url ?? `https://github.com/octocat/Hello-World/pull/${number}`,
    number,
    state: overrides.state ?? "open",
    locked: true,
    title: "Amazing new feature",
    user: { login: "octocat", id: 1 },
    body: "Please pull these awesome changes in!",
    labels: [],
    created_at: "2011-01-26T19:01:12Z",
    updated_at: "2011-01-26T19:01:12Z",
    closed_at: null,
    merged_at: overrides.merged_at ?? null,
    head: {
      label: "octocat:new-topic",
      ref: "new-topic",
      sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      user: { login: "octocat", id: 1 },
      repo: { id: 1296269, full_name: "octocat/Hello-World" },
    },
    base: {
      label: "octocat:master",
      ref: "master",
      sha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      user: { login: "octocat", id: 1 },
      repo: { id: 1296269, full_name: "octocat/Hello-World" },
    },
    draft: false,
  };
}

const PULLS = "/repos/octocat/Hello-World/pulls";

describe("GitHub pull requests", () => {
  let forge: RecordingServer;
  beforeEach(async () => {
    forge = await recordingServer();
  });
  afterEach(async () => {
    await forge.close();
  });

  const open = (extra: { draft?: boolean; labels?: string[]; reviewers?: string[]; apiBase?: string } = {}) =>
    openPullRequest({
      forge: "github",
      apiBase: extra.apiBase ?? forge.url,
      repo: "octocat/Hello-World",
      head: "new-topic",
      base: "master",
      title: "Amazing new feature",
      body: "Please pull these awesome changes in!",
      token: TOKEN,
      ...extra,
    });

  it("opens one when none exists for head → base, then adds its labels and reviewers", async () => {
    forge.on("GET", PULLS, { status: 200, body: [] });
    forge.on("POST", PULLS, { status: 201, body: documentedPull() });
    forge.on("POST", "/repos/octocat/Hello-World/issues/1347/labels", {
      status: 200,
      body: [{ id: 208045946, name: "bug" }],
    });
    forge.on("POST", `${PULLS}/1347/requested_reviewers`, { status: 201, body: documentedPull() });

    const pr = await open({ draft: true, labels: ["bug"], reviewers: ["hubot"] });

    expect(pr).toEqual({
      forge: "github",
      number: 1347,
      url: "https://github.com/octocat/Hello-World/pull/1347",
      state: "open",
      head: "new-topic",
      base: "master",
    });
    expect(forge.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${PULLS}`,
      `POST ${PULLS}`,
      "POST /repos/octocat/Hello-World/issues/1347/labels",
      `POST ${PULLS}/1347/requested_reviewers`,
    ]);
    const [list, create, labels, reviewers] = forge.requests;
    expect(list?.query).toEqual({ head: "octocat:new-topic", base: "master", state: "all", per_page: "100" });
    for (const request of forge.requests) {
      expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.headers.accept).toBe("application/vnd.github+json");
      expect(request.headers["x-github-api-version"]).toBe("2022-11-28");
      expect(request.headers["user-agent"]).toBe("agentyard");
    }
    expect(create?.headers["content-type"]).toBe("application/json");
    expect(create?.body).toEqual({
      title: "Amazing new feature",
      head: "new-topic",
      base: "master",
      body: "Please pull these awesome changes in!",
      draft: true,
    });
    expect(labels?.body).toEqual({ labels: ["bug"] });
    expect(reviewers?.body).toEqual({ reviewers: ["hubot"] });
  });

  it("updates the title and body of the one already open (a retry)", async () => {
    forge.on("GET", PULLS, { status: 200, body: [documentedPull({ number: 1347 })] });
    forge.on("PATCH", `${PULLS}/1347`, { status: 200, body: documentedPull({ number: 1347 }) });

    const pr = await open();

    expect(pr.number).toBe(1347);
    expect(forge.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${PULLS}`,
      `PATCH ${PULLS}/1347`,
    ]);
    expect(forge.requests[1]?.body).toEqual({
      title: "Amazing new feature",
      body: "Please pull these awesome changes in!",
    });
  });

  it("reports a closed or merged one as it is, and opens none beside it", async () => {
    forge.on("GET", PULLS, { status: 200, body: [documentedPull({ number: 2, state: "closed" })] });
    expect(await open()).toMatchObject({ number: 2, state: "closed" });
    forge.on("GET", PULLS, {
      status: 200,
      body: [documentedPull({ number: 3, state: "closed", merged_at: "2011-01-26T19:01:12Z" })],
    });
    expect(await open()).toMatchObject({ number: 3, state: "merged" });
    expect(forge.requests.every((r) => r.method === "GET")).toBe(true);
  });

  it("updates the open one beside closed ones", async () => {
    forge.on("GET", PULLS, {
      status: 200,
      body: [documentedPull({ number: 9, state: "closed" }), documentedPull({ number: 7 })],
    });
    forge.on("PATCH", `${PULLS}/7`, { status: 200, body: documentedPull({ number: 7 }) });
    expect(await open()).toMatchObject({ number: 7, state: "open" });
  });

  it("updates the one another run opened between its look-up and its create", async () => {
    let lists = 0;
    forge.on("GET", PULLS, () => ({
      status: 200,
      body: lists++ === 0 ? [] : [documentedPull({ number: 5 })],
    }));
    forge.on("POST", PULLS, {
      status: 422,
      body: {
        message: "Validation Failed",
        errors: [
          {
            resource: "PullRequest",
            code: "custom",
            message: "A pull request already exists for octocat:new-topic.",
          },
        ],
        documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        status: "422",
      },
    });
    forge.on("PATCH", `${PULLS}/5`, { status: 200, body: documentedPull({ number: 5 }) });
    expect(await open()).toMatchObject({ number: 5 });
  });

  it("says what GitHub refused, with its status and message, and never the token it echoes", async () => {
    forge.on("GET", PULLS, { status: 200, body: [] });
    forge.on("POST", PULLS, (request) => ({
      status: 403,
      body: {
        message: `Resource not accessible by personal access token (sent ${request.headers.authorization} to ${forge.url}${request.path}?access_token=${TOKEN})`,
        documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
        status: "403",
      },
    }));
    const error = await open().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PullRequestError);
    const refused = error as PullRequestError;
    expect(refused.status).toBe(403);
    expect(refused.forge).toBe("github");
    expect(refused.message).toMatch(
      /^github: POST \/repos\/octocat\/Hello-World\/pulls answered HTTP 403 Forbidden: Resource not accessible by personal access token/,
    );
    expect(`${refused.message}\n${refused.stack}\n${JSON.stringify(refused)}`).not.toContain(TOKEN);
  });

  it("cuts a long message of the forge short", async () => {
    forge.on("GET", PULLS, { status: 500, body: { message: "x".repeat(5000) } });
    const error = (await open().catch((err: unknown) => err)) as PullRequestError;
    expect(error.status).toBe(500);
    expect(error.message.length).toBeLessThan(500);
  });

  it("takes the token out of an answer that echoes it", async () => {
    forge.on("GET", PULLS, { status: 200, body: [] });
    forge.on("POST", PULLS, {
      status: 201,
      body: documentedPull({
        html_url: `https://x-access-token:${TOKEN}@github.com/octocat/Hello-World/pull/1347?t=${TOKEN}`,
      }),
    });
    const pr = await open();
    expect(JSON.stringify(pr)).not.toContain(TOKEN);
    expect(pr.url).toBe("https://github.com/octocat/Hello-World/pull/1347?t=[redacted]");
  });

  it("gives up on a request that gets no answer within its deadline", async () => {
    forge.on("GET", PULLS, { status: 0 });
    const error = (await openPullRequest({
      forge: "github",
      apiBase: forge.url,
      repo: "octocat/Hello-World",
      head: "new-topic",
      base: "master",
      title: "t",
      body: "b",
      token: TOKEN,
      timeoutMs: 300,
    }).catch((err: unknown) => err)) as PullRequestError;
    expect(error).toBeInstanceOf(PullRequestError);
    expect(error.status).toBeUndefined();
    expect(error.message).toBe("github: GET /repos/octocat/Hello-World/pulls had no answer within 300 ms");
  });

  it("keeps the token out of the error when the API base carries it or nobody listens", async () => {
    const withCredentials = new URL(forge.url);
    withCredentials.username = "x-access-token";
    withCredentials.password = TOKEN;
    for (const apiBase of [withCredentials.toString(), "http://127.0.0.1:1"]) {
      const error = (await open({ apiBase }).catch((err: unknown) => err)) as PullRequestError;
      expect(error).toBeInstanceOf(PullRequestError);
      expect(error.message).toMatch(/^github: GET \/repos\/octocat\/Hello-World\/pulls failed: /);
      expect(`${error.message}\n${error.stack}`).not.toContain(TOKEN);
    }
  });

  it("refuses an answer that is not the documented one", async () => {
    forge.on("GET", PULLS, { status: 200, body: { not: "a list" } });
    await expect(open()).rejects.toThrow(
      /^github: listing pull requests: the answer is not the documented one/,
    );
  });
});
