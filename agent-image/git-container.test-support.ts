import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import type { AgentState } from "../schema/contract/index.ts";
import { type AgentOptions, runTask, taskBranch } from "./agent.ts";
import { type GitSideOptions, runGitSide } from "./git-side.ts";

export interface GitContainerRun {
  state: AgentState;
  /** The folder the two sides shared. */
  handoffDir: string;
}

/**
 * `runTask` as the agent container runs it beside its git container: the git side gets the
 * repository and the credentials, in folders of its own; the agent gets neither credential nor
 * credentials folder. Both in this process, with real git; the git side stops once the task ends.
 */
export async function runTaskWithGitContainer(
  options: AgentOptions,
  gitSide: Partial<GitSideOptions> = {},
): Promise<GitContainerRun> {
  const { gitCredentialsDir, ...agent } = options;
  const root = await mkdtemp(join(options.stateDir, "..", "git-container-"));
  const handoffDir = gitSide.handoffDir ?? join(root, "handoff");
  const stop = new AbortController();
  const repo = options.repo as { url: string; branch: string };
  const side = runGitSide({
    task: options.task,
    attempt: options.attempt,
    workspace: options.workspace,
    repo,
    pushBranch: taskBranch(options.task),
    ...(gitCredentialsDir === undefined ? {} : { gitCredentialsDir }),
    handoffDir,
    home: join(root, "home"),
    signal: stop.signal,
    log: pino({ level: "silent" }),
    killGraceMs: 2_000,
    pollMs: 20,
    ...gitSide,
  });
  try {
    const state = await runTask({ ...agent, gitHandoffDir: handoffDir, handoffPollMs: 20 });
    return { state, handoffDir };
  } finally {
    stop.abort();
    await side;
  }
}
