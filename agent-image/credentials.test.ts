import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gitConfigEnv, prepareGitAuth } from "./credentials.ts";
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
async function credentialFill(env: Record<string, string>, url: string): Promise<string> {
  const child = execFile("git", ["credential", "fill"], { env: { PATH: process.env.PATH, ...env } });
  child.stdin?.end(`url=${url}\n\n`);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  await new Promise((resolve) => child.on("close", resolve));
  return out;
}

describe("prepareGitAuth over https", () => {
  it("answers git with the Secret's token and user name, for the remote's origin only", async () => {
    await writeFile(join(secret, "token"), "tok-123\n");
    await writeFile(join(secret, "username"), "robot\n");
    const redactor = new Redactor();
    const auth = await prepareGitAuth(parseRemote("https://git.example.com/a/b.git"), secret, dir, redactor);
    const env = { ...auth.env, ...gitConfigEnv(auth.config) };
    expect(JSON.stringify(env)).not.toContain("tok-123");
    expect(await credentialFill(env, "https://git.example.com/a/b.git")).toContain(
      "username=robot\npassword=tok-123\n",
    );
    // Another host gets nothing (git then fails instead of prompting).
    expect(await credentialFill(env, "https://elsewhere.example.com/x.git")).not.toContain("tok-123");
    expect(redactor.redact("tok-123")).toBe("[redacted]");
  });

  it("uses the forge's user name for a bare token, and the URL's credentials over the Secret's", async () => {
    await writeFile(join(secret, "token"), "tok-123");
    const fromSecret = await prepareGitAuth(
      parseRemote("https://gitlab.com/a/b.git"),
      secret,
      dir,
      new Redactor(),
    );
    expect(
      await credentialFill(
        { ...fromSecret.env, ...gitConfigEnv(fromSecret.config) },
        "https://gitlab.com/a/b.git",
      ),
    ).toContain("username=oauth2\npassword=tok-123\n");
    const fromUrl = await prepareGitAuth(
      parseRemote("https://me:p%40ss@gitlab.com/a/b.git"),
      secret,
      dir,
      new Redactor(),
    );
    const env = { ...fromUrl.env, ...gitConfigEnv(fromUrl.config) };
    expect(await credentialFill(env, "https://gitlab.com/a/b.git")).toContain("username=me\npassword=p@ss\n");
    expect((await stat(join(dir, "git-auth", "password"))).mode & 0o777).toBe(0o600);
    await fromUrl.cleanup();
    await expect(stat(join(dir, "git-auth"))).rejects.toThrow();
  });
});

describe("prepareGitAuth over ssh", () => {
  it("copies the key with the mode ssh demands and pins the Secret's known_hosts", async () => {
    await writeFile(join(secret, "ssh-privatekey"), "KEY", { mode: 0o440 });
    await writeFile(join(secret, "known_hosts"), "git.example.com ssh-ed25519 AAAA\n");
    const auth = await prepareGitAuth(
      parseRemote("git@git.example.com:a/b.git"),
      secret,
      dir,
      new Redactor(),
    );
    const key = join(dir, "git-auth", "id");
    expect(await readFile(key, "utf8")).toBe("KEY");
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const command = auth.env.GIT_SSH_COMMAND as string;
    // ssh itself reads the options back: -G prints the configuration it would connect with.
    const { stdout } = await exec("sh", ["-c", `${command} -G git@git.example.com`]);
    expect(stdout).toMatch(new RegExp(`^identityfile ${key}$`, "m"));
    expect(stdout).toMatch(new RegExp(`^userknownhostsfile ${join(secret, "known_hosts")}$`, "m"));
    expect(stdout).toMatch(/^stricthostkeychecking true$/m);
    expect(stdout).toMatch(/^batchmode yes$/m);
  });

  it("trusts a host key on first use when the Secret has no known_hosts", async () => {
    await writeFile(join(secret, "ssh-privatekey"), "KEY");
    const auth = await prepareGitAuth(
      parseRemote("ssh://git@git.example.com/a/b.git"),
      secret,
      dir,
      new Redactor(),
    );
    const { stdout } = await exec("sh", ["-c", `${auth.env.GIT_SSH_COMMAND} -G git@git.example.com`]);
    expect(stdout).toMatch(new RegExp(`^userknownhostsfile ${join(dir, "git-auth", "known_hosts")}$`, "m"));
    expect(stdout).toMatch(/^stricthostkeychecking accept-new$/m);
  });
});
