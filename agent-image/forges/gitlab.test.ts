import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPullRequest, PullRequestError } from "../pull-request.ts";
import { type RecordingServer, recordingServer } from "./recording-server.test-support.ts";

const TOKEN = "glpat-xGz1Rf4mQYh3Wv8Yk2Ls";

/** A merge request as GitLab's REST API documents it ("Merge requests API", v4), abridged. */
function documentedMergeRequest(overrides: { iid?: number; state?: string; title?: string } = {}) {
  const iid = overrides.iid ?? 1;
  return {
    id: 1,
    iid,
    project_id: 3,
    title: overrides.title ?? "test1",
    description: "fixed login page css paddings",
    state: overrides.state ?? "opened",
    created_at: "2017-04-29T08:46:00Z",
    updated_at: "2017-04-29T08:46:00Z",
    target_branch: "main",
    source_branch: "test1",
    upvotes: 0,
    downvotes: 0,
    author: { id: 1, name: "Administrator", username: "admin", state: "active" },
    assignee: null,
    reviewers: [],
    source_project_id: 2,
    target_project_id: 3,
    labels: [],
    draft: false,
    work_in_progress: false,
    merge_when_pipeline_succeeds: false,
    merge_status: "can_be_merged",
    sha: "8888888888888888888888888888888888888888",
    web_url: `http://gitlab.example.com/my-group/my-project/merge_requests/${iid}`,
  };
}

const MRS = "/projects/my-group%2Fsub%2Fmy-project/merge_requests";

describe("GitLab merge requests", () => {
  let forge: RecordingServer;
  beforeEach(async () => {
    forge = await recordingServer();
  });
  afterEach(async () => {
    await forge.close();
  });

  const open = (extra: { draft?: boolean; labels?: string[]; reviewers?: string[] } = {}) =>
    openPullRequest({
      forge: "gitlab",
      apiBase: `${forge.url}/api/v4`,
      repo: "my-group/sub/my-project",
      head: "test1",
      base: "main",
      title: "test1",
      body: "fixed login page css paddings",
      token: TOKEN,
      ...extra,
    });

  it("opens one when none exists for source → target, a draft with labels and reviewers by id", async () => {
    forge.on("GET", `/api/v4${MRS}`, { status: 200, body: [] });
    forge.on("GET", "/api/v4/users", (request) => ({
      status: 200,
      body:
        request.query.username === "john_smith"
          ? [{ id: 7, username: "john_smith", name: "John Smith" }]
          : [],
    }));
    forge.on("POST", `/api/v4${MRS}`, {
      status: 201,
      body: documentedMergeRequest({ title: "Draft: test1" }),
    });

    const mr = await open({ draft: true, labels: ["bug", "agentyard"], reviewers: ["john_smith"] });

    expect(mr).toEqual({
      forge: "gitlab",
      number: 1,
      url: "http://gitlab.example.com/my-group/my-project/merge_requests/1",
      state: "open",
      head: "test1",
      base: "main",
    });
    expect(forge.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v4${MRS}`,
      "GET /api/v4/users",
      `POST /api/v4${MRS}`,
    ]);
    const [list, user, create] = forge.requests;
    expect(list?.query).toEqual({
      source_branch: "test1",
      target_branch: "main",
      state: "all",
      per_page: "100",
    });
    expect(user?.query).toEqual({ username: "john_smith" });
    for (const request of forge.requests) expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(create?.body).toEqual({
      source_branch: "test1",
      target_branch: "main",
      title: "Draft: test1",
      description: "fixed login page css paddings",
      labels: "bug,agentyard",
      reviewer_ids: [7],
    });
  });

  it("says so when a reviewer is no user, before opening anything", async () => {
    forge.on("GET", `/api/v4${MRS}`, { status: 200, body: [] });
    forge.on("GET", "/api/v4/users", { status: 200, body: [] });
    await expect(open({ reviewers: ["nobody"] })).rejects.toThrow(
      "gitlab: reviewer nobody is not a user of this GitLab",
    );
    expect(forge.requests.some((r) => r.method === "POST")).toBe(false);
  });

  it("updates the title and description of the one already open (a retry)", async () => {
    forge.on("GET", `/api/v4${MRS}`, { status: 200, body: [documentedMergeRequest({ iid: 4 })] });
    forge.on("PUT", `/api/v4${MRS}/4`, { status: 200, body: documentedMergeRequest({ iid: 4 }) });

    expect(await open()).toMatchObject({ number: 4, state: "open" });
    expect(forge.requests.map((r) => r.method)).toEqual(["GET", "PUT"]);
    expect(forge.requests[1]?.body).toEqual({ title: "test1", description: "fixed login page css paddings" });
  });

  it("maps GitLab's states: merged, closed, and locked (still open)", async () => {
    for (const [state, expected] of [
      ["merged", "merged"],
      ["closed", "closed"],
    ] as const) {
      forge.on("GET", `/api/v4${MRS}`, { status: 200, body: [documentedMergeRequest({ iid: 2, state })] });
      expect(await open()).toMatchObject({ number: 2, state: expected });
    }
    expect(forge.requests.every((r) => r.method === "GET")).toBe(true);
    forge.on("GET", `/api/v4${MRS}`, {
      status: 200,
      body: [documentedMergeRequest({ iid: 3, state: "locked" })],
    });
    forge.on("PUT", `/api/v4${MRS}/3`, {
      status: 200,
      body: documentedMergeRequest({ iid: 3, state: "locked" }),
    });
    expect(await open()).toMatchObject({ number: 3, state: "open" });
  });

  it("updates the one another run opened between its look-up and its create", async () => {
    let lists = 0;
    forge.on("GET", `/api/v4${MRS}`, () => ({
      status: 200,
      body: lists++ === 0 ? [] : [documentedMergeRequest({ iid: 6 })],
    }));
    forge.on("POST", `/api/v4${MRS}`, {
      status: 409,
      body: { message: ["Another open merge request already exists for this source branch: !6"] },
    });
    forge.on("PUT", `/api/v4${MRS}/6`, { status: 200, body: documentedMergeRequest({ iid: 6 }) });
    expect(await open()).toMatchObject({ number: 6 });
  });

  it("says what GitLab refused, with its status and message, and never the token it echoes", async () => {
    forge.on("GET", `/api/v4${MRS}`, (request) => ({
      status: 401,
      body: { message: `401 Unauthorized (${request.headers.authorization})` },
    }));
    const error = (await open().catch((err: unknown) => err)) as PullRequestError;
    expect(error).toBeInstanceOf(PullRequestError);
    expect(error.status).toBe(401);
    expect(error.message).toBe(
      `gitlab: GET /projects/my-group%2Fsub%2Fmy-project/merge_requests answered HTTP 401 Unauthorized: 401 Unauthorized (Bearer [redacted]) (the forge refused the token)`,
    );
    expect(`${error.stack}`).not.toContain(TOKEN);
  });

  it("quotes GitLab's field errors", async () => {
    forge.on("GET", `/api/v4${MRS}`, { status: 200, body: [] });
    forge.on("POST", `/api/v4${MRS}`, { status: 400, body: { message: { target_branch: ["is invalid"] } } });
    await expect(open()).rejects.toThrow(
      /answered HTTP 400 Bad Request: \{"target_branch":\["is invalid"\]\}$/,
    );
  });
});
