/** What the runtime needs to know of a remote: where it is, and the credentials its URL carried. */
export interface RemoteUrl {
  /** The URL without credentials (an ssh user name stays): what git is given and artifacts show. */
  url: string;
  kind: "http" | "ssh" | "local";
  host?: string;
  /** The repository's path on its host, without a leading slash or a trailing `.git`. */
  path?: string;
  username?: string;
  password?: string;
}

/** `user@host:path`, git's scp-like ssh syntax. */
const SCP_LIKE = /^(?:([^@/]+)@)?([^/:]+):(?!\/\/)(.+)$/;

function repoPath(pathname: string): string {
  return pathname
    .replace(/^\/+/, "")
    .replace(/\/+$/, "")
    .replace(/\.git$/, "");
}

/** Parses a repository URL as git accepts it, splitting off any credentials it carries. */
export function parseRemote(raw: string): RemoteUrl {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    const u = new URL(raw);
    const username = u.username ? decodeURIComponent(u.username) : undefined;
    const password = u.password ? decodeURIComponent(u.password) : undefined;
    const protocol = u.protocol.replace(/:$/, "");
    const kind = protocol === "http" || protocol === "https" ? "http" : protocol === "file" ? "local" : "ssh";
    // An ssh user name (git@) is an address, not a secret; over https a lone "user" is often the token.
    if (kind !== "ssh") u.username = "";
    u.password = "";
    const remote: RemoteUrl = { url: u.toString(), kind };
    if (kind !== "local") {
      remote.host = u.hostname;
      remote.path = repoPath(decodeURIComponent(u.pathname));
    }
    if (username) remote.username = username;
    if (password) remote.password = password;
    return remote;
  }
  const scp = SCP_LIKE.exec(raw);
  if (scp && !raw.startsWith("/") && !raw.startsWith(".")) {
    const remote: RemoteUrl = {
      url: raw,
      kind: "ssh",
      host: scp[2] as string,
      path: repoPath(scp[3] as string),
    };
    if (scp[1]) remote.username = scp[1];
    return remote;
  }
  return { url: raw, kind: "local" };
}

type Forge = "github" | "gitlab" | "gitea" | "bitbucket";

const KNOWN_HOSTS: Record<string, Forge> = {
  "github.com": "github",
  "gitlab.com": "gitlab",
  "codeberg.org": "gitea",
  "gitea.com": "gitea",
  "bitbucket.org": "bitbucket",
};

/** The forge behind a host: the public ones by name, self-hosted ones by the usual host prefix. */
function forgeOf(host: string): Forge | undefined {
  const known = KNOWN_HOSTS[host.toLowerCase()];
  if (known) return known;
  const first = host.toLowerCase().split(".")[0];
  if (first === "github") return "github";
  if (first === "gitlab") return "gitlab";
  if (first === "gitea" || first === "forgejo") return "gitea";
  if (first === "bitbucket") return "bitbucket";
  return undefined;
}

/** The username a bare token authenticates with over https, when the Secret names none. */
export function defaultTokenUsername(host: string | undefined): string {
  const forge = host ? forgeOf(host) : undefined;
  if (forge === "gitlab") return "oauth2";
  if (forge === "bitbucket") return "x-token-auth";
  return "x-access-token";
}

/** Keeps the slashes of a branch name readable in a URL path while escaping everything else. */
const pathPart = (s: string) => s.split("/").map(encodeURIComponent).join("/");

/**
 * Where a person opens the pull (merge) request for `branch` against `base`; undefined for a remote
 * that is not on a known forge (including local and file:// remotes).
 */
export function pullRequestUrl(remote: RemoteUrl, base: string, branch: string): string | undefined {
  if (remote.kind === "local" || !remote.host || !remote.path) return undefined;
  const forge = forgeOf(remote.host);
  if (!forge) return undefined;
  const web = `https://${remote.host}/${pathPart(remote.path)}`;
  switch (forge) {
    case "github":
      return `${web}/compare/${pathPart(base)}...${pathPart(branch)}?expand=1`;
    case "gitea":
      return `${web}/compare/${pathPart(base)}...${pathPart(branch)}`;
    case "gitlab":
      return `${web}/-/merge_requests/new?merge_request[source_branch]=${encodeURIComponent(branch)}&merge_request[target_branch]=${encodeURIComponent(base)}`;
    case "bitbucket":
      return `${web}/pull-requests/new?source=${encodeURIComponent(branch)}&dest=${encodeURIComponent(base)}`;
  }
}

import type { PullRequestForge } from "../schema/pull-request.ts";

export { PULL_REQUEST_FORGES, type PullRequestForge } from "../schema/pull-request.ts";

/** Where a repository's pull requests are opened: the forge, its REST API, and the repository there. */
export interface ForgeTarget {
  forge: PullRequestForge;
  /** e.g. `https://api.github.com`, `https://gitlab.example.com/api/v4`, `https://gitea.example.com/api/v1`. */
  apiBase: string;
  /** `owner/name` (GitHub, Gitea), or the project's full path (GitLab: `group/subgroup/name`). */
  repo: string;
}

/** What an Org says of its forge when the remote's host does not tell: self-hosted ones. */
export interface ForgeOverride {
  forge: PullRequestForge;
  /** Without one, the API is where the forge serves it on the remote's own host. */
  apiBase?: string;
}

const API_PATH: Record<PullRequestForge, string> = { gitea: "/api/v1", github: "/api/v3", gitlab: "/api/v4" };

/** Scheme, host and port of the web server behind a remote: an http remote's own, else https on its host. */
function webOrigin(remote: RemoteUrl): string {
  return remote.kind === "http" ? new URL(remote.url).origin : `https://${remote.host}`;
}

function defaultApiBase(forge: PullRequestForge, remote: RemoteUrl): string {
  if (forge === "github" && remote.host?.toLowerCase() === "github.com") return "https://api.github.com";
  return `${webOrigin(remote)}${API_PATH[forge]}`;
}

/**
 * The forge API for a remote: the override's when given, else the one its host names (github.com,
 * gitlab.com, codeberg.org, hosts named github.*, gitlab.*, gitea.*, forgejo.*); undefined for a
 * local remote or a host that says nothing. A forge served under a path (`https://host/git/`) has
 * that path in its remote URLs: with an override whose API base carries it, the repository is the
 * rest of the remote's path.
 */
export function forgeTarget(remote: RemoteUrl, override?: ForgeOverride): ForgeTarget | undefined {
  if (remote.kind === "local" || !remote.host || !remote.path) return undefined;
  const detected = forgeOf(remote.host);
  const forge = override?.forge ?? (detected === "bitbucket" ? undefined : detected);
  if (!forge) return undefined;
  const apiBase = (override?.apiBase ?? defaultApiBase(forge, remote)).replace(/\/+$/, "");
  const prefix = new URL(apiBase).pathname.replace(/\/api\/v\d+$/, "").replace(/^\/+|\/+$/g, "");
  const repo =
    prefix && remote.path.startsWith(`${prefix}/`) ? remote.path.slice(prefix.length + 1) : remote.path;
  return { forge, apiBase, repo };
}
