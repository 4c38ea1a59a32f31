import { randomBytes } from "node:crypto";

export interface GiteaUser {
  username: string;
  password: string;
  /** An access token with the scopes it was made with. */
  token: string;
}

export interface GiteaRepo {
  owner: string;
  name: string;
  /** The HTTP git endpoint, without credentials. */
  cloneUrl: string;
  htmlUrl: string;
  defaultBranch: string;
}

/** What the agent needs to open and update pull requests (labels are issue-scoped in Gitea). */
export const PULL_REQUEST_SCOPES = ["write:repository", "write:issue", "read:user"];

export const randomSecret = () => randomBytes(24).toString("hex");

/** The harness's side of Gitea's REST API: what tests set up and look at, as its admin. */
export class GiteaApi {
  readonly apiUrl: string;
  readonly admin: GiteaUser;

  constructor(apiUrl: string, admin: GiteaUser) {
    this.apiUrl = apiUrl;
    this.admin = admin;
  }

  /** A JSON request as the admin (or with `token`); a status outside 2xx throws. */
  async api<T>(method: string, path: string, body?: unknown, token = this.admin.token): Promise<T> {
    return this.#send<T>(method, path, `token ${token}`, body);
  }

  /** A user (not an admin) with a token of `scopes`. */
  async createUser(username: string, scopes = PULL_REQUEST_SCOPES): Promise<GiteaUser> {
    const password = randomSecret();
    await this.api("POST", "/admin/users", {
      username,
      password,
      email: `${username}@agentyard.invalid`,
      must_change_password: false,
    });
    return { username, password, token: await this.createToken({ username, password }, scopes) };
  }

  /** Another token for a user; Gitea makes them only for the user's own password. */
  async createToken(user: Pick<GiteaUser, "username" | "password">, scopes: string[]): Promise<string> {
    const basic = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
    const made = await this.#send<{ sha1: string }>(
      "POST",
      `/users/${encodeURIComponent(user.username)}/tokens`,
      basic,
      { name: `token-${randomSecret().slice(0, 8)}`, scopes },
    );
    return made.sha1;
  }

  /** A repository of `owner` with one commit on `main`. */
  async createRepo(owner: string, name: string, options: { private?: boolean } = {}): Promise<GiteaRepo> {
    const repo = await this.api<{
      name: string;
      clone_url: string;
      html_url: string;
      default_branch: string;
    }>("POST", `/admin/users/${encodeURIComponent(owner)}/repos`, {
      name,
      auto_init: true,
      readme: "Default",
      default_branch: "main",
      private: options.private ?? false,
    });
    return {
      owner,
      name: repo.name,
      cloneUrl: repo.clone_url,
      htmlUrl: repo.html_url,
      defaultBranch: repo.default_branch,
    };
  }

  async #send<T>(method: string, path: string, authorization: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: { authorization, "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`Gitea ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
