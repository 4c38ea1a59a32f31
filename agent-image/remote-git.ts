import { randomUUID } from "node:crypto";
import { apiToken, type GitCredentials, withGitAccess } from "./credentials.ts";
import { clone, type GitContext, GitError, type IsolatedGitOptions, isolatedGitEnv, push } from "./git.ts";
import {
  CloneAnswerSchema,
  HANDOFF_FILE,
  PushAnswerSchema,
  type PushOutcome,
  waitForMessage,
  writeMessage,
} from "./handoff.ts";
import { openTaskPullRequest, type PullRequestText, type TaskPullRequest } from "./task-pull-request.ts";
import { prepareWorkspace } from "./workspace.ts";

/** What talks to the task's remote for the agent: the clone into the workspace and the push of its branch. */
export interface RemoteGit {
  /**
   * Makes the workspace the task's clone (prepareWorkspace): fills an empty one with the task's base
   * branch, or reuses the clone an earlier pod of the task left there.
   */
  prepare(): Promise<void>;
  /** Pushes the task's branch of the workspace to the remote, forced, then opens its pull request. */
  push(text: PullRequestText): Promise<PushOutcome>;
}

/**
 * The remote, the base branch cloned, the task's branch pushed, and a folder of the runtime's own for
 * scratch repositories and auth files.
 */
export interface RemoteTarget {
  url: string;
  branch: string;
  pushBranch: string;
  privateDir: string;
}

/** What the pull request after a push needs besides its texts. */
export type PullRequestTarget = Pick<TaskPullRequest, "config" | "remote" | "redactor" | "log" | "signal">;

/**
 * The remote reached from this process, with credentials it holds in memory: the git container's
 * way, and the agent's own when it runs outside a pod that has one.
 */
export function inProcessRemote(
  work: GitContext,
  isolated: IsolatedGitOptions,
  credentials: GitCredentials,
  target: RemoteTarget,
  pullRequest: PullRequestTarget,
): RemoteGit {
  const withRemote = (use: (remote: GitContext) => Promise<void>) =>
    withGitAccess(credentials, target.privateDir, (access) =>
      use({
        ...work,
        env: isolatedGitEnv(isolated, access),
        ...(access.fd3 === undefined ? {} : { fd3: access.fd3 }),
      }),
    );
  return {
    // A reused workspace needs no remote: the credentials come out only for a clone.
    prepare: () =>
      prepareWorkspace(work, target, () =>
        withRemote((r) => clone(work, r, target.privateDir, target.url, target.branch)),
      ),
    async push(text) {
      await withRemote((r) => push(work, r, target.privateDir, target.url, target.pushBranch));
      return openTaskPullRequest({
        ...pullRequest,
        token: apiToken(credentials),
        head: target.pushBranch,
        base: target.branch,
        text,
      });
    },
  };
}

/** Stopped (SIGTERM) while waiting for the git container. */
export class HandoffStopped extends Error {}

/**
 * The remote reached through the pod's git container, which prepares the workspace on its own when it
 * starts and pushes when asked: no credential is ever in this container.
 */
export function handoffRemote(dir: string, attempt: number, signal: AbortSignal, pollMs?: number): RemoteGit {
  return {
    async prepare() {
      const answer = await waitForMessage(
        dir,
        HANDOFF_FILE.clone,
        CloneAnswerSchema,
        (a) => a.attempt === attempt,
        signal,
        pollMs,
      );
      if (!answer) throw new HandoffStopped("stopped while waiting for the git container's clone");
      // The answer's error is the git container's whole message (prepareWorkspace's).
      if (!answer.ok) throw new GitError(answer.error);
    },
    async push(text) {
      // A request names no branch: the git container pushes the one it knows for this task.
      const id = randomUUID();
      await writeMessage(dir, HANDOFF_FILE.pushRequest, { id, ...text });
      const answer = await waitForMessage(
        dir,
        HANDOFF_FILE.pushResult,
        PushAnswerSchema,
        (a) => a.id === id,
        signal,
        pollMs,
      );
      if (!answer) throw new HandoffStopped("stopped while waiting for the git container's push");
      if (!answer.ok) throw new GitError(answer.error);
      const { id: _, ok: __, ...outcome } = answer;
      return outcome;
    },
  };
}
