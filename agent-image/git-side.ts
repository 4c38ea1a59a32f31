import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@agentyard/kube-runtime/log";
import { sleep } from "@agentyard/kube-runtime/sleep";
import type { PullRequestConfig } from "../schema/contract/index.ts";
import { loadGitCredentials } from "./credentials.ts";
import { parseRemote } from "./forge.ts";
import { type GitContext, isolatedGitEnv, runtimeGitIsolation } from "./git.ts";
import {
  CloneAnswerSchema,
  HANDOFF_FILE,
  HANDOFF_POLL_MS,
  PushAnswerSchema,
  PushRequestSchema,
  readMessage,
  writeMessage,
} from "./handoff.ts";
import { Redactor } from "./redact.ts";
import { inProcessRemote, type RemoteGit } from "./remote-git.ts";

export interface GitSideOptions {
  task: string;
  attempt: number;
  /** The workspace it clones into and pushes from, shared with the agent and the editor. */
  workspace: string;
  repo: { url: string; branch: string };
  /** The branch it pushes: the task's, never one a request names. */
  pushBranch: string;
  gitCredentialsDir?: string;
  /** The folder shared with the agent container only. */
  handoffDir: string;
  /** Its own folder, shared with no other container: git's HOME, scratch repositories, ssh keys. */
  home: string;
  /** The pull request it opens after each push; none without. */
  pullRequest?: PullRequestConfig;
  signal: AbortSignal;
  log: Logger;
  killGraceMs?: number;
  pollMs?: number;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Prepares the workspace once per attempt: a restarted git container finds its answer and leaves the
 * workspace, where the agent may be at work, alone.
 */
async function prepareOnce(options: GitSideOptions, remoteGit: RemoteGit, url: string): Promise<void> {
  const { handoffDir, attempt, log } = options;
  const answered = await readMessage(handoffDir, HANDOFF_FILE.clone, CloneAnswerSchema);
  if (answered?.attempt === attempt) return;
  log.info(
    { repo: url, branch: options.repo.branch, workspace: options.workspace },
    "preparing the workspace",
  );
  try {
    await remoteGit.prepare();
    await writeMessage(handoffDir, HANDOFF_FILE.clone, { attempt, ok: true });
    log.info("workspace ready");
  } catch (err) {
    if (options.signal.aborted) return;
    log.warn({ err: message(err) }, "workspace not ready");
    await writeMessage(handoffDir, HANDOFF_FILE.clone, { attempt, ok: false, error: message(err) });
  }
}

/** Answers each new push request until stopped; the last answer's id says which was answered. */
async function servePushes(options: GitSideOptions, remoteGit: RemoteGit): Promise<void> {
  const { handoffDir, signal, log } = options;
  while (!signal.aborted) {
    const request = await readMessage(handoffDir, HANDOFF_FILE.pushRequest, PushRequestSchema);
    const answered = await readMessage(handoffDir, HANDOFF_FILE.pushResult, PushAnswerSchema);
    if (request && request.id !== answered?.id) {
      log.info({ branch: options.pushBranch }, "pushing");
      try {
        const outcome = await remoteGit.push({ title: request.title, body: request.body });
        await writeMessage(handoffDir, HANDOFF_FILE.pushResult, { id: request.id, ok: true, ...outcome });
        log.info({ branch: options.pushBranch }, "pushed");
      } catch (err) {
        if (signal.aborted) return;
        log.warn({ err: message(err) }, "push failed");
        await writeMessage(handoffDir, HANDOFF_FILE.pushResult, {
          id: request.id,
          ok: false,
          error: message(err),
        });
      }
      continue;
    }
    await sleep(options.pollMs ?? HANDOFF_POLL_MS, signal);
  }
}

/**
 * The git container: the one place the Org's credentials are read. When it starts it clones the
 * task's base branch into the workspace, or reuses the clone an earlier pod left there; then it
 * pushes the task's branch each time the agent asks, until SIGTERM. Every git it runs is the
 * runtime's isolated one, so nothing the task's command or the editor plants in the workspace runs
 * with the credentials.
 */
export async function runGitSide(options: GitSideOptions): Promise<void> {
  const redactor = new Redactor();
  const remote = parseRemote(options.repo.url);
  redactor.add(remote.password);
  const credentials = await loadGitCredentials(remote, options.gitCredentialsDir, redactor);
  const gitHome = join(options.home, "home");
  await mkdir(gitHome, { recursive: true });
  await mkdir(options.handoffDir, { recursive: true });
  await mkdir(options.workspace, { recursive: true });
  const isolated = runtimeGitIsolation(gitHome, options.workspace, {});
  const work: GitContext = {
    cwd: options.workspace,
    env: isolatedGitEnv(isolated),
    redactor,
    signal: options.signal,
    killGraceMs: options.killGraceMs ?? 10_000,
  };
  const remoteGit = inProcessRemote(
    work,
    isolated,
    credentials,
    {
      url: remote.url,
      branch: options.repo.branch,
      pushBranch: options.pushBranch,
      privateDir: options.home,
    },
    {
      config: options.pullRequest,
      remote,
      redactor,
      log: options.log,
      signal: options.signal,
    },
  );
  await prepareOnce(options, remoteGit, remote.url);
  await servePushes(options, remoteGit);
}
