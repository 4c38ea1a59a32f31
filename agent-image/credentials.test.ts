import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type GitCredentials, gitConfigEnv, loadGitCredentials, withGitAccess } from "./credentials.ts";
import { parseRemote } from "./forge.ts";
import { Redactor } from "./redact.ts";

const exec = promisify(execFile);
let dir: string;
let secret: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-cred-"));
  secret = join(dir, "secret");
  await mkdir(secret);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Asks git, configured as the runtime configures it, for the credentials of a URL. */
async function credentialFill(env: Record<string, string>, url: string, fd3?: string): Promise<string> {
  const child = spawn("git", ["credential", "fill"], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ["pipe", "pipe", "ignore", "pipe"],
  });
  const pipe = child.stdio[3] as Writable;
  // git does not read the pipe when no helper applies to the URL.
  pipe.on("error", () => {});
  pipe.end(fd3 ?? "");
  child.stdin?.end(`url=${url}\n\n`);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  await new Promise((resolve) => child.on("close", resolve));
  return out;
}

/** Runs `use` with the access withGitAccess gives, as the environment git would see. */
function access(
  credentials: GitCredentials,
  use: (env: Record<string, string>, fd3?: string) => Promise<void>,
) {
  return withGitAccess(credentials, dir, (a) => use({ ...a.env, ...gitConfigEnv(a.config) }, a.fd3));
}

describe("git credentials over https", () => {
  it("answers git with the Secret's token and user name through a pipe, for the remote's origin only", async () => {
    await writeFile(join(secret, "token"), "tok-123\n");
    await writeFile(join(secret, "username"), "robot\n");
    const redactor = new Redactor();
    const credentials = await loadGitCredentials(
      parseRemote("https://git.example.com/a/b.git"),
      secret,
      redactor,
    );
    await access(credentials, async (env, fd3) => {
      expect(JSON.stringify(env)).not.toContain("tok-123");
      expect(await credentialFill(env, "https://git.example.com/a/b.git", fd3)).toContain(
        "username=robot\npassword=tok-123\n",
      );
      // Another host gets nothing (git then fails instead of prompting).
      expect(await credentialFill(env, "https://elsewhere.example.com/x.git", fd3)).not.toContain("tok-123");
    });
    expect(redactor.redact("tok-123")).toBe("[redacted]");
    // Nothing was written to disk.
    expect(await readdir(dir)).toEqual(["secret"]);
  });

  it("uses the forge's user name for a bare token, and the URL's credentials over the Secret's", async () => {
    await writeFile(join(secret, "token"), "tok-123");
    const fromSecret = await loadGitCredentials(
      parseRemote("https://gitlab.com/a/b.git"),
      secret,
      new Redactor(),
    );
    await access(fromSecret, async (env, fd3) => {
      expect(await credentialFill(env, "https://gitlab.com/a/b.git", fd3)).toContain(
        "username=oauth2\npassword=tok-123\n",
      );
    });
    const fromUrl = await loadGitCredentials(
      parseRemote("https://me:p%40ss@gitlab.com/a/b.git"),
      secret,
      new Redactor(),
    );
    await access(fromUrl, async (env, fd3) => {
      expect(await credentialFill(env, "https://gitlab.com/a/b.git", fd3)).toContain(
        "username=me\npassword=p@ss\n",
      );
    });
  });
});

describe("git credentials over ssh", () => {
  it("writes the key with the mode ssh demands only while git runs, and pins the Secret's known_hosts", async () => {
    await writeFile(join(secret, "ssh-privatekey"), "KEY", { mode: 0o440 });
    await writeFile(join(secret, "known_hosts"), "git.example.com ssh-ed25519 AAAA\n");
    const credentials = await loadGitCredentials(
      parseRemote("git@git.example.com:a/b.git"),
      secret,
      new Redactor(),
    );
    let key = "";
    await withGitAccess(credentials, dir, async (a) => {
      const command = a.env.GIT_SSH_COMMAND as string;
      // ssh itself reads the options back: -G prints the configuration it would connect with.
      const { stdout } = await exec("sh", ["-c", `${command} -G git@git.example.com`]);
      key = /^identityfile (.+)$/m.exec(stdout)?.[1] ?? "";
      expect(await readFile(key, "utf8")).toBe("KEY");
      expect((await stat(key)).mode & 0o777).toBe(0o600);
      expect(stdout).toMatch(new RegExp(`^userknownhostsfile ${join(secret, "known_hosts")}$`, "m"));
      expect(stdout).toMatch(/^stricthostkeychecking true$/m);
      expect(stdout).toMatch(/^batchmode yes$/m);
    });
    await expect(stat(key)).rejects.toThrow();
  });

  it("trusts a host key on first use when the Secret has no known_hosts", async () => {
    await writeFile(join(secret, "ssh-privatekey"), "KEY");
    const credentials = await loadGitCredentials(
      parseRemote("ssh://git@git.example.com/a/b.git"),
      secret,
      new Redactor(),
    );
    await withGitAccess(credentials, dir, async (a) => {
      const { stdout } = await exec("sh", ["-c", `${a.env.GIT_SSH_COMMAND} -G git@git.example.com`]);
      expect(stdout).toMatch(new RegExp(`^userknownhostsfile ${join(dir, "known_hosts")}$`, "m"));
      expect(stdout).toMatch(/^stricthostkeychecking accept-new$/m);
    });
  });
});
