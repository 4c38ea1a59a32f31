import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exists } from "./files.ts";
import { defaultTokenUsername, type RemoteUrl } from "./forge.ts";
import type { Redactor } from "./redact.ts";

/**
 * The Org's git credentials as the runtime holds them: read once, before the task's command starts,
 * and kept in memory. Nothing of them is written where the command or the editor could read it.
 */
export type GitCredentials =
  | { kind: "none" }
  | { kind: "http"; origin: string; username: string; password: string }
  | { kind: "ssh"; key?: string; knownHostsFile?: string; token?: string };

/** The token a forge's REST API takes: https's password, or an ssh Secret's `token` beside its key. */
export function apiToken(credentials: GitCredentials): string | undefined {
  if (credentials.kind === "http") return credentials.password;
  if (credentials.kind === "ssh") return credentials.token;
  return undefined;
}

/** What one git command that talks to the remote needs besides the runtime's isolated environment. */
export interface GitAccess {
  env: Record<string, string>;
  /** git config entries, for gitConfigEnv. */
  config: [string, string][];
  /** The credential helper's answer, for git's file descriptor 3. */
  fd3?: string;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

async function readSecret(path: string): Promise<string | undefined> {
  if (!(await exists(path))) return undefined;
  return (await readFile(path, "utf8")).trim();
}

/** git config entries passed through the environment (command scope): never in argv, never in .git/config. */
export function gitConfigEnv(entries: [string, string][]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * A credential helper that answers git's `get` with what the runtime wrote to file descriptor 3, a
 * pipe only git and its helpers inherit: the secret is in no argv, environment or file.
 */
const PIPE_HELPER = `!f() { test "$1" = get || exit 0; cat <&3; }; f`;

/**
 * Reads the credentials for `remote`: over https the password from the URL, else the Secret's `token`
 * (+ optional `username`); over ssh the Secret's `ssh-privatekey` (+ optional `known_hosts`). Every
 * secret read is registered with the redactor.
 */
export async function loadGitCredentials(
  remote: RemoteUrl,
  credentialsDir: string | undefined,
  redactor: Redactor,
): Promise<GitCredentials> {
  const secretFile = (name: string) => (credentialsDir ? readSecret(join(credentialsDir, name)) : undefined);
  if (remote.kind === "http") {
    const password = remote.password ?? (await secretFile("token"));
    redactor.add(password);
    // A user name alone in an https URL is often a token (https://TOKEN@host/...).
    if (!remote.password) redactor.add(remote.username);
    if (!password) return { kind: "none" };
    const username = remote.username ?? (await secretFile("username")) ?? defaultTokenUsername(remote.host);
    return { kind: "http", origin: new URL(remote.url).origin, username, password };
  }
  if (remote.kind === "ssh") {
    const keyFile = credentialsDir ? join(credentialsDir, "ssh-privatekey") : "";
    const key = keyFile && (await exists(keyFile)) ? await readFile(keyFile, "utf8") : undefined;
    const knownHosts = credentialsDir ? join(credentialsDir, "known_hosts") : "";
    const credentials: GitCredentials = { kind: "ssh" };
    if (key) credentials.key = key;
    const token = await secretFile("token");
    redactor.add(token);
    if (token) credentials.token = token;
    if (knownHosts && (await exists(knownHosts))) credentials.knownHostsFile = knownHosts;
    return credentials;
  }
  return { kind: "none" };
}

/**
 * Runs `use` with access to the remote. Files it needs go to a fresh directory under `privateDir`,
 * which must not be shared with the editor container, and are removed as soon as `use` returns:
 *
 * - https: a credential helper scoped to the remote's origin, answering from a pipe; the empty helper
 *   before it clears any other, so the credentials go nowhere else;
 * - ssh: the key, written with mode 0600 because ssh refuses a group-readable key; the Secret's
 *   known_hosts when present, else trust on first use into `privateDir`'s known_hosts; no ssh config
 *   file is read.
 */
export async function withGitAccess<T>(
  credentials: GitCredentials,
  privateDir: string,
  use: (access: GitAccess) => Promise<T>,
): Promise<T> {
  // Git must never stop to ask a question: there is nobody at the terminal.
  const base = { GIT_TERMINAL_PROMPT: "0" };
  const cleared: [string, string][] = [["credential.helper", ""]];
  if (credentials.kind === "http") {
    return use({
      env: base,
      config: [...cleared, [`credential.${credentials.origin}.helper`, PIPE_HELPER]],
      fd3: `username=${credentials.username}\npassword=${credentials.password}\n`,
    });
  }
  if (credentials.kind === "ssh") {
    const dir = await mkdtemp(join(privateDir, "git-auth-"));
    try {
      const options = ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"];
      if (credentials.key) {
        const key = join(dir, "id");
        await writeFile(key, credentials.key, { mode: 0o600 });
        options.push("-i", key);
      }
      if (credentials.knownHostsFile) {
        options.push(
          "-o",
          `UserKnownHostsFile=${credentials.knownHostsFile}`,
          "-o",
          "StrictHostKeyChecking=yes",
        );
      } else {
        options.push(
          "-o",
          `UserKnownHostsFile=${join(privateDir, "known_hosts")}`,
          "-o",
          "StrictHostKeyChecking=accept-new",
        );
      }
      return await use({
        env: { ...base, GIT_SSH_COMMAND: ["ssh", ...options].map(quote).join(" ") },
        config: cleared,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return use({ env: base, config: cleared });
}
