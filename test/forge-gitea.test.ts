import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgeTarget, parseRemote } from "../agent-image/forge.ts";
import {
  openPullRequest,
  type PullRequest,
  PullRequestError,
  type PullRequestOptions,
} from "../agent-image/pull-request.ts";
import { type GiteaRepo, type GiteaServer, type GiteaUser, startGitea } from "../devcluster/gitea-server.ts";
import { gitIn } from "./support/git.ts";

/** Gitea's pull request as its API shows it, the fields these tests look at. */
interface GiteaPull {
  number: number;
  title: string;
  body: string;
  state: string;
  draft: boolean;
  head: { ref: string };
  base: { ref: string };
  labels: { name: string }[];
  requested_reviewers: { login: string }[] | null;
}

// A real Gitea (built from its Go module on first use, which takes minutes), on loopback, with SQLite.
describe("pull requests on a real Gitea", () => {
  let dir: string;
  let gitea: GiteaServer;
  let acme: GiteaUser;
  let app: GiteaRepo;

  /** Pushes a commit on `branch` over Gitea's HTTP git endpoint, as the agent does after its work. */
  async function pushBranch(repo: GiteaRepo, user: GiteaUser, branch: string): Promise<void> {
    const work = await mkdtemp(join(dir, "clone-"));
    const remote = new URL(repo.cloneUrl);
    remote.username = user.username;
    remote.password = user.token;
    await gitIn(work, ["clone", "--quiet", remote.toString(), "."]);
    await gitIn(work, ["switch", "--quiet", "-c", branch]);
    await writeFile(join(work, `${branch.replaceAll("/", "-")}.md`), `work for ${branch}\n`);
    await gitIn(work, ["add", "--all"]);
    await gitIn(work, ["commit", "--quiet", "-m", `work for ${branch}`]);
    await gitIn(work, ["push", "--quiet", "origin", `HEAD:refs/heads/${branch}`]);
    await rm(work, { recursive: true, force: true });
  }

  type Change = Pick<PullRequestOptions, "head" | "title" | "body" | "draft" | "labels" | "reviewers">;

  /** As the agent does: the forge target from the remote and the Org's override, then the API. */
  function open(repo: GiteaRepo, token: string, change: Change, apiBase?: string) {
    const target = forgeTarget(parseRemote(repo.cloneUrl), {
      forge: "gitea",
      ...(apiBase ? { apiBase } : {}),
    });
    if (!target) throw new Error(`no forge target for ${repo.cloneUrl}`);
    return openPullRequest({ ...target, base: "main", token, ...change });
  }

  const pull = (repo: GiteaRepo, number: number) =>
    gitea.api<GiteaPull>("GET", `/repos/${repo.owner}/${repo.name}/pulls/${number}`);
  const allPulls = (repo: GiteaRepo) =>
    gitea.api<GiteaPull[]>("GET", `/repos/${repo.owner}/${repo.name}/pulls?state=all&limit=50`);

  // On first use this waits for Gitea's build: minutes, more on cores shared with other builds.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "agentyard-gitea-"));
    gitea = await startGitea({ dir: join(dir, "gitea"), log: (line) => process.stderr.write(`${line}\n`) });
    acme = await gitea.createUser("acme");
    app = await gitea.createRepo("acme", "app");
  }, 1_800_000);

  afterAll(async () => {
    await gitea?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves a repository made through its API, with main pushed over HTTP", async () => {
    expect(app.defaultBranch).toBe("main");
    expect(app.cloneUrl).toBe(`${gitea.url}/acme/app.git`);
    const heads = await gitIn(dir, ["ls-remote", "--heads", app.cloneUrl]);
    expect(heads).toMatch(/\trefs\/heads\/main\n/);
  });

  let first: PullRequest;

  it("opens a pull request whose head, base, title and body are the ones asked for", async () => {
    await pushBranch(app, acme, "agentyard/greeting");
    first = await open(app, acme.token, {
      head: "agentyard/greeting",
      title: "Add a greeting",
      body: "The agent added a greeting.\n\n1 file changed",
    });
    expect(first).toEqual({
      forge: "gitea",
      number: expect.any(Number),
      url: `${gitea.url}/acme/app/pulls/${first.number}`,
      state: "open",
      head: "agentyard/greeting",
      base: "main",
    });
    expect(JSON.stringify(first)).not.toContain(acme.token);
    const seen = await pull(app, first.number);
    expect(seen).toMatchObject({
      title: "Add a greeting",
      body: "The agent added a greeting.\n\n1 file changed",
      state: "open",
      head: { ref: "agentyard/greeting" },
      base: { ref: "main" },
    });
    expect((await fetch(first.url)).status).toBe(200);
  });

  it("updates the same pull request on a second call (a retry)", async () => {
    const again = await open(app, acme.token, {
      head: "agentyard/greeting",
      title: "Add a friendlier greeting",
      body: "The second attempt.",
    });
    expect(again).toEqual(first);
    expect(await pull(app, first.number)).toMatchObject({
      title: "Add a friendlier greeting",
      body: "The second attempt.",
    });
    expect((await allPulls(app)).filter((p) => p.head.ref === "agentyard/greeting")).toHaveLength(1);
  });

  it("opens a draft with labels and reviewers", async () => {
    await gitea.api("POST", "/repos/acme/app/labels", { name: "agentyard", color: "#00aabb" });
    const reviewer = await gitea.createUser("reviewer");
    await gitea.api("PUT", `/repos/acme/app/collaborators/${reviewer.username}`, { permission: "write" });
    await pushBranch(app, acme, "agentyard/draft");
    const draft = await open(
      app,
      acme.token,
      {
        head: "agentyard/draft",
        title: "Try something",
        body: "A draft.",
        draft: true,
        labels: ["agentyard"],
        reviewers: ["reviewer"],
      },
      gitea.apiUrl,
    );
    const seen = await pull(app, draft.number);
    expect(seen.title).toBe("WIP: Try something");
    expect(seen.draft).toBe(true);
    expect(seen.labels.map((l) => l.name)).toEqual(["agentyard"]);
    expect(seen.requested_reviewers?.map((u) => u.login)).toEqual(["reviewer"]);
  });

  it("names a label the repository lacks, and opens nothing", async () => {
    await pushBranch(app, acme, "agentyard/labelled");
    await expect(
      open(app, acme.token, {
        head: "agentyard/labelled",
        title: "t",
        body: "b",
        labels: ["agentyard", "no-such-label"],
      }),
    ).rejects.toThrow("gitea: acme/app has no label no-such-label: create it first");
    expect((await allPulls(app)).filter((p) => p.head.ref === "agentyard/labelled")).toEqual([]);
  });

  it("gives a clear error, without the token, to a user who may not write", async () => {
    const secret = await gitea.createRepo("acme", "secret", { private: true });
    await pushBranch(secret, acme, "agentyard/hidden");
    const mallory = await gitea.createUser("mallory");
    const readOnly = await gitea.createToken(acme, ["read:repository", "read:issue"]);

    const outsider = (await open(secret, mallory.token, {
      head: "agentyard/hidden",
      title: "t",
      body: "b",
    }).catch((err: unknown) => err)) as PullRequestError;
    expect(outsider).toBeInstanceOf(PullRequestError);
    expect(outsider.status).toBe(404);
    expect(outsider.message).toMatch(
      /^gitea: POST \/repos\/acme\/secret\/pulls answered HTTP 404 Not Found: .*\(no such repository or pull request, or the token may not see it\)$/,
    );

    const scoped = (await open(secret, readOnly, { head: "agentyard/hidden", title: "t", body: "b" }).catch(
      (err: unknown) => err,
    )) as PullRequestError;
    expect(scoped).toBeInstanceOf(PullRequestError);
    expect(scoped.status).toBe(403);
    expect(scoped.message).toMatch(
      /^gitea: POST \/repos\/acme\/secret\/pulls answered HTTP 403 Forbidden: .*write:repository/,
    );

    for (const [error, token] of [
      [outsider, mallory.token],
      [scoped, readOnly],
    ] as const) {
      expect(`${error.message}\n${error.stack}\n${JSON.stringify(error)}`).not.toContain(token);
    }
    expect(await allPulls(secret)).toEqual([]);
  });

  it("reports a pull request closed through the API as closed, and opens no other", async () => {
    await gitea.api("PATCH", `/repos/acme/app/pulls/${first.number}`, { state: "closed" });
    const closed = await open(app, acme.token, {
      head: "agentyard/greeting",
      title: "A third title",
      body: "b",
    });
    expect(closed).toEqual({ ...first, state: "closed" });
    expect((await pull(app, first.number)).title).toBe("Add a friendlier greeting");
    expect((await allPulls(app)).filter((p) => p.head.ref === "agentyard/greeting")).toHaveLength(1);
  });

  it("reports a merged pull request as merged", async () => {
    await pushBranch(app, acme, "agentyard/merge-me");
    const opened = await open(app, acme.token, { head: "agentyard/merge-me", title: "Merge me", body: "b" });
    await gitea.api("POST", `/repos/acme/app/pulls/${opened.number}/merge`, { Do: "merge" });
    expect(await open(app, acme.token, { head: "agentyard/merge-me", title: "Merge me", body: "b" })).toEqual(
      {
        ...opened,
        state: "merged",
      },
    );
  });
});
