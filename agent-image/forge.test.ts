import { describe, expect, it } from "vitest";
import { defaultTokenUsername, forgeTarget, parseRemote, pullRequestUrl } from "./forge.ts";

describe("parseRemote", () => {
  it("splits credentials off an https URL", () => {
    expect(parseRemote("https://bot:p%40ss@github.com/acme/app.git")).toEqual({
      url: "https://github.com/acme/app.git",
      kind: "http",
      host: "github.com",
      path: "acme/app",
      username: "bot",
      password: "p@ss",
    });
  });

  it("keeps an ssh user name, which is an address, and drops a password", () => {
    expect(parseRemote("ssh://git:pw@gitlab.example.com:2222/group/sub/app.git")).toMatchObject({
      url: "ssh://git@gitlab.example.com:2222/group/sub/app.git",
      kind: "ssh",
      host: "gitlab.example.com",
      path: "group/sub/app",
      password: "pw",
    });
    expect(parseRemote("git@github.com:acme/app.git")).toEqual({
      url: "git@github.com:acme/app.git",
      kind: "ssh",
      host: "github.com",
      path: "acme/app",
      username: "git",
    });
  });

  it("treats paths and file:// URLs as local", () => {
    expect(parseRemote("/srv/git/app.git")).toEqual({ url: "/srv/git/app.git", kind: "local" });
    expect(parseRemote("./app.git").kind).toBe("local");
    expect(parseRemote("file:///srv/git/app.git")).toEqual({ url: "file:///srv/git/app.git", kind: "local" });
  });
});

describe("pullRequestUrl", () => {
  const url = (remote: string) => pullRequestUrl(parseRemote(remote), "main", "agentyard/fix-bug");

  it("links to the forge's page for opening a pull or merge request", () => {
    expect(url("https://github.com/acme/app.git")).toBe(
      "https://github.com/acme/app/compare/main...agentyard/fix-bug?expand=1",
    );
    expect(url("git@github.com:acme/app.git")).toBe(
      "https://github.com/acme/app/compare/main...agentyard/fix-bug?expand=1",
    );
    expect(url("https://gitlab.com/group/sub/app.git")).toBe(
      "https://gitlab.com/group/sub/app/-/merge_requests/new?merge_request[source_branch]=agentyard%2Ffix-bug&merge_request[target_branch]=main",
    );
    expect(url("https://codeberg.org/acme/app")).toBe(
      "https://codeberg.org/acme/app/compare/main...agentyard/fix-bug",
    );
    expect(url("ssh://git@forgejo.example.org/acme/app.git")).toBe(
      "https://forgejo.example.org/acme/app/compare/main...agentyard/fix-bug",
    );
    expect(url("https://bitbucket.org/acme/app.git")).toBe(
      "https://bitbucket.org/acme/app/pull-requests/new?source=agentyard%2Ffix-bug&dest=main",
    );
    expect(url("https://github.example.com/acme/app.git")).toBe(
      "https://github.example.com/acme/app/compare/main...agentyard/fix-bug?expand=1",
    );
  });

  it("has none for unknown hosts and local repositories", () => {
    expect(url("https://git.example.com/acme/app.git")).toBeUndefined();
    expect(url("file:///srv/git/app.git")).toBeUndefined();
    expect(url("/srv/git/app.git")).toBeUndefined();
  });
});

describe("defaultTokenUsername", () => {
  it("is what each forge expects with a bare token", () => {
    expect(defaultTokenUsername("github.com")).toBe("x-access-token");
    expect(defaultTokenUsername("gitlab.example.com")).toBe("oauth2");
    expect(defaultTokenUsername("bitbucket.org")).toBe("x-token-auth");
    expect(defaultTokenUsername(undefined)).toBe("x-access-token");
  });
});

describe("forgeTarget", () => {
  const target = (remote: string, override?: Parameters<typeof forgeTarget>[1]) =>
    forgeTarget(parseRemote(remote), override);

  it("finds the API of the public forges and of self-hosted ones by their host's name", () => {
    expect(target("https://github.com/acme/app.git")).toEqual({
      forge: "github",
      apiBase: "https://api.github.com",
      repo: "acme/app",
    });
    expect(target("git@github.com:acme/app.git")?.apiBase).toBe("https://api.github.com");
    expect(target("https://github.example.com/acme/app.git")).toEqual({
      forge: "github",
      apiBase: "https://github.example.com/api/v3",
      repo: "acme/app",
    });
    expect(target("https://gitlab.com/group/sub/app.git")).toEqual({
      forge: "gitlab",
      apiBase: "https://gitlab.com/api/v4",
      repo: "group/sub/app",
    });
    expect(target("ssh://git@forgejo.example.org:2222/acme/app.git")).toEqual({
      forge: "gitea",
      apiBase: "https://forgejo.example.org/api/v1",
      repo: "acme/app",
    });
    expect(target("https://codeberg.org/acme/app")?.apiBase).toBe("https://codeberg.org/api/v1");
  });

  it("has none for hosts that say nothing, Bitbucket, and local repositories", () => {
    expect(target("https://git.example.com/acme/app.git")).toBeUndefined();
    expect(target("https://bitbucket.org/acme/app.git")).toBeUndefined();
    expect(target("/srv/git/app.git")).toBeUndefined();
    expect(target("file:///srv/git/app.git", { forge: "gitea" })).toBeUndefined();
  });

  it("takes the forge from an override, with the API on the remote's own scheme, host and port", () => {
    expect(target("http://127.0.0.1:3000/acme/app.git", { forge: "gitea" })).toEqual({
      forge: "gitea",
      apiBase: "http://127.0.0.1:3000/api/v1",
      repo: "acme/app",
    });
    expect(target("https://git.example.com/acme/app.git", { forge: "gitlab" })?.apiBase).toBe(
      "https://git.example.com/api/v4",
    );
  });

  it("takes an override's API base, and the forge's path prefix off the repository", () => {
    expect(
      target("https://example.com/git/acme/app.git", {
        forge: "gitea",
        apiBase: "https://example.com/git/api/v1/",
      }),
    ).toEqual({ forge: "gitea", apiBase: "https://example.com/git/api/v1", repo: "acme/app" });
    expect(
      target("git@github.example.com:acme/app.git", {
        forge: "github",
        apiBase: "https://api.github.example.com",
      }),
    ).toEqual({ forge: "github", apiBase: "https://api.github.example.com", repo: "acme/app" });
  });
});
