import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultTokenUsername, type RemoteUrl } from "./forge.ts";
import type { Redactor } from "./redact.ts";

/** What lets git reach the remote with the Org's credentials. */
export interface GitAuth {
  env: Record<string, string>;
  /** git config entries, for gitConfigEnv. */
  config: [string, string][];
  /** Removes the files written for this (the copied key, credentials taken from the URL). */
  cleanup(): Promise<void>;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

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
 * A credential helper that answers git's `get` with the contents of two files. The shell reads the
 * files itself (printf is a builtin), so the secret is never in any process's argv or environment;
 * only the files' paths are.
 */
function credentialHelper(usernameFile: string, passwordFile: string): string {
  return `!f() { test "$1" = get || exit 0; printf 'username=%s\\npassword=%s\\n' "$(cat ${quote(usernameFile)})" "$(cat ${quote(passwordFile)})"; }; f`;
}

/**
 * Prepares git's access to `remote`. Files the runtime has to write go to `privateDir`, which must not
 * be shared with the editor container (the state volume is the agent's own; /tmp is shared).
 *
 * - https: the password from the URL, else the Secret's `token` (+ optional `username`), through a
 *   credential helper scoped to the remote's origin;
 * - ssh: the Secret's `ssh-privatekey`, copied with mode 0600 because ssh refuses a group-readable key
 *   and Secret volumes are mounted 0440; the Secret's `known_hosts` when present, else trust on first
 *   use into a private known_hosts file.
 */
export async function prepareGitAuth(
  remote: RemoteUrl,
  credentialsDir: string | undefined,
  privateDir: string,
  redactor: Redactor,
): Promise<GitAuth> {
  const dir = join(privateDir, "git-auth");
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const cleanup = () => rm(dir, { recursive: true, force: true });
  // Git must never stop to ask a question: there is nobody at the terminal.
  const base = { GIT_TERMINAL_PROMPT: "0" };

  if (remote.kind === "http") {
    let usernameFile = credentialsDir ? join(credentialsDir, "username") : "";
    let passwordFile = credentialsDir ? join(credentialsDir, "token") : "";
    const token = remote.password ?? (passwordFile ? await readSecret(passwordFile) : undefined);
    redactor.add(token);
    // A user name alone in an https URL is often a token (https://TOKEN@host/...).
    if (!remote.password) redactor.add(remote.username);
    // The empty helper clears helpers from system config, so credentials go nowhere else.
    if (!token) return { env: base, config: [["credential.helper", ""]], cleanup };
    const username =
      remote.username ??
      (usernameFile ? await readSecret(usernameFile) : undefined) ??
      defaultTokenUsername(remote.host);
    if (remote.password || !(await exists(usernameFile))) {
      usernameFile = join(dir, "username");
      await writeFile(usernameFile, username, { mode: 0o600 });
    }
    if (remote.password) {
      passwordFile = join(dir, "password");
      await writeFile(passwordFile, remote.password, { mode: 0o600 });
    }
    const origin = new URL(remote.url).origin;
    const config: [string, string][] = [
      ["credential.helper", ""],
      [`credential.${origin}.helper`, credentialHelper(usernameFile, passwordFile)],
    ];
    return { env: base, config, cleanup };
  }

  if (remote.kind === "ssh") {
    const options = ["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"];
    const keyFile = credentialsDir ? join(credentialsDir, "ssh-privatekey") : "";
    if (keyFile && (await exists(keyFile))) {
      const key = join(dir, "id");
      await copyFile(keyFile, key);
      await chmod(key, 0o600);
      options.push("-i", key);
    }
    const knownHosts = credentialsDir ? join(credentialsDir, "known_hosts") : "";
    if (knownHosts && (await exists(knownHosts))) {
      options.push("-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes");
    } else {
      options.push(
        "-o",
        `UserKnownHostsFile=${join(dir, "known_hosts")}`,
        "-o",
        "StrictHostKeyChecking=accept-new",
      );
    }
    return {
      env: { ...base, GIT_SSH_COMMAND: ["ssh", ...options].map(quote).join(" ") },
      config: [],
      cleanup,
    };
  }

  return { env: base, config: [], cleanup };
}
