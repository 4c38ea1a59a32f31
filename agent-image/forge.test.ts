import { describe, expect, it } from "vitest";
import { defaultTokenUsername, parseRemote, pullRequestUrl } from "./forge.ts";

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
