import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createLogger, type Logger } from "@agentyard/kube-runtime/log";
import { sleep } from "@agentyard/kube-runtime/sleep";
import { type LastPRArtifact, LastPRArtifactSchema } from "../schema/artifact.ts";
import {
  type AgentState,
  boundArtifact,
  commandArgv,
  MAX_LOG_TAIL_BYTES,
  type PullRequestConfig,
  parseAgentState,
  STARTED_FILE,
} from "../schema/contract/index.ts";
import { loadGitCredentials } from "./credentials.ts";
import { watchEditor } from "./editor.ts";
import { exists } from "./files.ts";
import { parseRemote, pullRequestUrl, type RemoteUrl } from "./forge.ts";
import {
  commitAll,
  diffSummary,
  diffstat,
  type GitContext,
  git,
  hasUncommitted,
  head,
  isolatedGitEnv,
  runtimeGitIsolation,
} from "./git.ts";
import { LineSplitter } from "./lines.ts";
import { commitMessage, summaryOf, titleOf } from "./message.ts";
import { type Exit, startGroup } from "./process.ts";
import { Redactor } from "./redact.ts";
import { handoffRemote, inProcessRemote, type RemoteGit } from "./remote-git.ts";
import { StateReporter, type StateTarget } from "./report.ts";
import { Tail } from "./tail.ts";
import { recordedBase } from "./workspace.ts";

export interface AgentOptions {
  task: string;
  org: string;
  namespace: string;
  attempt: number;
  prompt: string;
  /** The agent's own directory: last_pr.json, the readiness file `started`, the prompt file. */
  stateDir: string;
  /** Where the repository is cloned and the command runs; shared with the editor. */
  workspace: string;
  repo?: { url: string; branch: string };
  /** The program and its arguments; without one the task fails with a message saying so. */
  command?: string[];
  /**
   * The command's last argument, `{prompt}` standing for the prompt (a preset's CLI): the prompt
   * reaches it in one argv entry, never through a shell.
   */
  promptArgument?: string;
  /** Files written into the command's $HOME before it starts (a preset's CLI settings). */
  homeFiles?: Record<string, string>;
  /**
   * Where the Org's git Secret is mounted: `token` (+ `username`), or `ssh-privatekey` (+ `known_hosts`).
   * Read only without gitHandoffDir.
   */
  gitCredentialsDir?: string;
  /**
   * The folder shared with the pod's git container, which clones and pushes for this runtime: with
   * it, no credential is read here, and the command has none within its reach.
   */
  gitHandoffDir?: string;
  handoffPollMs?: number;
  /** The pull request opened after each push, where this runtime pushes itself (no gitHandoffDir). */
  pullRequest?: PullRequestConfig;
  /** code-server's base URL; without it the runtime idles after the task until it is stopped. */
  editorUrl?: string;
  /** The state ConfigMap; without it reports are only logged. */
  state?: StateTarget;
  /** The environment the command inherits (the runtime's own by default). */
  env?: NodeJS.ProcessEnv;
  /** Aborted on SIGTERM: stops the command's process group, or ends the wait for the editor. */
  signal?: AbortSignal;
  /** Where the command's output goes (the runtime's stdout and stderr by default: the pod log). */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  log?: Logger;
  /** Between SIGTERM and SIGKILL for the command's group; within the pod's 30 s grace, leaving time to report. */
  killGraceMs?: number;
  editorPollMs?: number;
}

/** The branch a task's work is pushed to. */
export const taskBranch = (task: string) => `agentyard/${task}`;

export const NO_COMMAND =
  "no command to run: set spec.command on the AgentTask or spec.agent.command on its Org (the Org has no default agent command)";

const STOPPED =
  "stopped: the agent received SIGTERM (its pod was deleted: the task was cancelled, timed out or suspended, or the pod evicted) and killed the command's process group";

interface Run {
  options: AgentOptions;
  log: Logger;
  redactor: Redactor;
  reporter: StateReporter | undefined;
  signal: AbortSignal;
  tail: Tail;
  state: AgentState;
  killGraceMs: number;
}

function start(options: AgentOptions): Run {
  const log =
    options.log ??
    createLogger("info", { name: "agentyard-agent" }).child({
      task: options.task,
      org: options.org,
      attempt: options.attempt,
    });
  const reporter = options.state
    ? new StateReporter(options.state, { log: (msg, fields) => log.warn(fields ?? {}, msg) })
    : undefined;
  return {
    options,
    log,
    redactor: new Redactor(),
    reporter,
    signal: options.signal ?? new AbortController().signal,
    tail: new Tail(MAX_LOG_TAIL_BYTES),
    state: { attempt: options.attempt },
    killGraceMs: options.killGraceMs ?? 10_000,
  };
}

function report(run: Run): void {
  if (run.reporter) run.reporter.report(run.state);
  else run.log.info({ state: run.state }, "state (no state ConfigMap to report to)");
}

async function writeAtomic(path: string, content: string): Promise<void> {
  await writeFile(`${path}.tmp`, content, { mode: 0o644 });
  await rename(`${path}.tmp`, path);
}

async function finish(run: Run, exitCode: number, message: string, lastPR?: LastPRArtifact) {
  const { redactor } = run;
  // A bug here must show as a failed task, not as an artifact the operator refuses.
  const valid = lastPR && boundArtifact(LastPRArtifactSchema.parse(lastPR));
  if (valid) {
    await writeAtomic(join(run.options.stateDir, "last_pr.json"), `${JSON.stringify(valid, null, 2)}\n`);
  }
  run.state = {
    ...run.state,
    finishedAt: new Date().toISOString(),
    exitCode,
    message: redactor.redact(message),
  };
  // Cut short, not ended: the pod that resumes or replaces this one runs the attempt again.
  if (run.signal.aborted) run.state.stopped = true;
  const tail = run.tail.toString();
  if (tail) run.state.logTail = tail;
  if (valid) run.state.lastPR = valid;
  run.log.info({ exitCode, message: run.state.message, lastPR: lastPR?.branch }, "finished");
  report(run);
  return run.state;
}

/**
 * Written into the state directory when a task with a repository begins. The state volume is new in
 * every pod and kept across a container's restarts, so the mark tells a restarted container from a new
 * pod that continues in a persistent workspace.
 */
const BEGAN_FILE = "began";

/** Marks this attempt begun in this pod; true when a mark of an earlier start was already there. */
async function beganBefore(stateDir: string): Promise<boolean> {
  const began = join(stateDir, BEGAN_FILE);
  if (await exists(began)) return true;
  await writeFile(began, `${new Date().toISOString()}\n`);
  return false;
}

/** Writes the preset's files into the command's HOME: folders made as needed, files replaced whole. */
async function writeHomeFiles(files: Record<string, string> | undefined, env: NodeJS.ProcessEnv) {
  const home = env.HOME;
  if (!files || !home) return;
  for (const [path, content] of Object.entries(files)) {
    const file = join(home, path);
    await mkdir(dirname(file), { recursive: true });
    await writeAtomic(file, content);
  }
}

/** Runs the command, streaming its output (redacted, line by line) to the pod log and the tail. */
async function runCommand(run: Run, command: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  const { options, redactor, tail } = run;
  await writeHomeFiles(options.homeFiles, env);
  const sink = (write: (text: string) => void) =>
    new LineSplitter((text) => {
      const clean = redactor.redact(text);
      write(clean);
      tail.push(clean);
    });
  const stdout = sink(options.stdout ?? ((t) => process.stdout.write(t)));
  const stderr = sink(options.stderr ?? ((t) => process.stderr.write(t)));
  const argv = commandArgv(command, options.promptArgument, options.prompt);
  const group = startGroup(argv, {
    cwd: options.workspace,
    env,
    onStdout: (t) => stdout.push(t),
    onStderr: (t) => stderr.push(t),
    killGraceMs: run.killGraceMs,
  });
  const stop = () => {
    run.log.info("SIGTERM: stopping the command's process group");
    void group.stop();
  };
  run.signal.addEventListener("abort", stop, { once: true });
  const pid = await group.spawned;
  if (pid !== undefined) {
    run.log.info({ pid, command: redactor.redact(command[0] ?? "") }, "command started");
    run.state.startedAt = new Date().toISOString();
    await writeFile(join(options.stateDir, STARTED_FILE), `${run.state.startedAt}\n`);
    report(run);
  }
  const exit = await group.exited;
  run.signal.removeEventListener("abort", stop);
  stdout.flush();
  stderr.flush();
  run.log.info({ exitCode: exit.code, signal: exit.signal }, "command exited");
  return exit;
}

/** Commits and pushes whatever the command changed; the artifact, or undefined when nothing changed. */
async function pushChanges(run: Run, g: GitContext, remote: RemoteUrl, base: string, remoteGit: RemoteGit) {
  const { options } = run;
  const repo = options.repo as { url: string; branch: string };
  const branch = taskBranch(options.task);
  const uncommitted = await hasUncommitted(g);
  // A coding agent may commit its work itself; that counts as a change too.
  if (!uncommitted && (await head(g)) === base) return undefined;
  if (uncommitted) {
    await commitAll(g, branch, commitMessage(options.prompt, options));
  } else {
    await git(g, ["checkout", "-B", branch]);
  }
  const commit = await head(g);
  const stat = await diffSummary(g, base, commit);
  const title = titleOf(options.prompt, options.task);
  const summary = summaryOf(run.redactor.redact(options.prompt.trim()), run.redactor.redact(stat));
  const outcome = await remoteGit.push({ title, body: pullRequestBody(summary, options) });
  const artifact: LastPRArtifact = {
    task: options.task,
    org: options.org,
    repo: remote.url,
    baseBranch: repo.branch,
    branch,
    commit,
    title,
    summary,
    diffstat: await diffstat(g, base, commit),
    exitCode: 0,
    createdAt: new Date().toISOString(),
  };
  const opened = outcome.pullRequest;
  const url = opened?.url ?? pullRequestUrl(remote, repo.branch, branch);
  if (url) artifact.url = url;
  if (opened) {
    artifact.forge = opened.forge;
    artifact.number = opened.number;
    artifact.state = opened.state;
  }
  if (outcome.pullRequestError) artifact.pullRequestError = run.redactor.redact(outcome.pullRequestError);
  run.log.info({ branch, commit, url, pullRequestError: artifact.pullRequestError }, "pushed");
  return artifact;
}

/** The pull request's description: the agent's summary, and the task it came from. */
function pullRequestBody(summary: string, options: AgentOptions): string {
  return `${summary}\n\n---\nagentyard task ${options.namespace}/${options.task}, attempt ${options.attempt}.`;
}

async function withRepository(run: Run, command: string[], remote: RemoteUrl): Promise<AgentState> {
  const { options, redactor } = run;
  const repo = options.repo as { url: string; branch: string };
  const home = await mkdtemp(join(options.stateDir, "git-home-"));
  try {
    const isolated = runtimeGitIsolation(home, options.workspace, options.env ?? process.env);
    // The work tree's git never holds credentials; only the runtime's own bare repositories do.
    const g: GitContext = {
      cwd: options.workspace,
      env: isolatedGitEnv(isolated),
      redactor,
      signal: run.signal,
      killGraceMs: run.killGraceMs,
    };
    const remoteGit = options.gitHandoffDir
      ? handoffRemote(options.gitHandoffDir, options.attempt, run.signal, options.handoffPollMs)
      : inProcessRemote(
          g,
          isolated,
          // Read before the command starts and held in memory from then on.
          await loadGitCredentials(remote, options.gitCredentialsDir, redactor),
          {
            url: remote.url,
            branch: repo.branch,
            pushBranch: taskBranch(options.task),
            privateDir: options.stateDir,
          },
          { config: options.pullRequest, remote, redactor, log: run.log, signal: run.signal },
        );
    let baseCommit: string;
    try {
      run.log.info(
        { repo: remote.url, branch: repo.branch, workspace: options.workspace },
        "preparing the workspace",
      );
      await remoteGit.prepare();
      baseCommit = await recordedBase(g);
    } catch (err) {
      if (run.signal.aborted) return finish(run, 143, `${STOPPED} before the command started`);
      return finish(run, 1, (err as Error).message);
    }
    run.log.info({ base: baseCommit }, "workspace ready");
    const exit = await runCommand(run, command, commandEnv(run, remote));
    const stopped = commandFailure(run, exit);
    if (stopped) return stopped;
    try {
      const artifact = await pushChanges(run, g, remote, baseCommit, remoteGit);
      if (!artifact) return finish(run, 0, "the command succeeded and changed nothing; nothing was pushed");
      return finish(run, 0, pushedMessage(artifact), artifact);
    } catch (err) {
      if (run.signal.aborted) return finish(run, 143, `${STOPPED} while pushing`);
      return finish(
        run,
        1,
        `the command succeeded but its work could not be pushed: ${(err as Error).message}`,
      );
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

function pushedMessage(artifact: LastPRArtifact): string {
  const pushed = `pushed ${artifact.branch} at ${artifact.commit.slice(0, 12)}`;
  if (artifact.number !== undefined) return `${pushed}; pull request #${artifact.number} (${artifact.state})`;
  if (artifact.pullRequestError) return `${pushed}; no pull request: ${artifact.pullRequestError}`;
  return pushed;
}

/** The command's environment: the runtime's, with the prompt file and a repository URL without credentials. */
function commandEnv(run: Run, remote: RemoteUrl | undefined): NodeJS.ProcessEnv {
  const { options } = run;
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    AGENTYARD_PROMPT: options.prompt,
    AGENTYARD_PROMPT_FILE: join(options.stateDir, "prompt.txt"),
  };
  if (remote) env.AGENTYARD_REPO_URL = remote.url;
  return env;
}

/** The finished state of a command that did not succeed; undefined when it did. */
function commandFailure(run: Run, exit: Exit): Promise<AgentState> | undefined {
  if (run.signal.aborted) return finish(run, exit.code, STOPPED);
  if (exit.error) return finish(run, exit.code, exit.error);
  if (exit.code !== 0)
    return finish(run, exit.code, `the command exited with code ${exit.code}; nothing was pushed`);
  return undefined;
}

async function steps(run: Run): Promise<AgentState> {
  const { options, log } = run;
  const previous = parseAgentState(await run.reporter?.read(), options.attempt);
  // An attempt cut short by its pod's deletion runs again here; the mark in /state keeps a
  // container restarted in the same pod from doing so.
  if (previous?.finishedAt && !previous.stopped) {
    // A restarted container must not run the task again: its work is already pushed and reported.
    log.info({ finishedAt: previous.finishedAt }, "this attempt already finished; not running it again");
    run.state = previous;
    return previous;
  }
  await mkdir(options.stateDir, { recursive: true });
  await mkdir(options.workspace, { recursive: true });
  await writeFile(join(options.stateDir, "prompt.txt"), options.prompt);
  const command = options.command;
  if (!command || command.length === 0) return finish(run, 1, NO_COMMAND);
  if (run.signal.aborted) return finish(run, 143, `${STOPPED} before the command started`);
  if (!options.repo) {
    const exit = await runCommand(run, command, commandEnv(run, undefined));
    return commandFailure(run, exit) ?? finish(run, 0, "the command succeeded (the task has no repository)");
  }
  const remote = parseRemote(options.repo.url);
  run.redactor.add(remote.password);
  if (await beganBefore(options.stateDir)) {
    return finish(
      run,
      1,
      "this attempt already began in this pod and did not finish (did the agent container restart mid-task?); not running it again over its workspace",
    );
  }
  return withRepository(run, command, remote);
}

/**
 * Runs the task once: clone, command, commit and push, last_pr.json, and the reports. Returns the
 * final state once its report has landed (or been given up).
 */
export async function runTask(options: AgentOptions): Promise<AgentState> {
  const run = start(options);
  const state = await steps(run);
  await run.reporter?.flush();
  return state;
}

/**
 * What the container runs: the task, then the wait for the editor, reporting its activity, until
 * `options.signal` aborts. Returns the final state.
 */
export async function runAgent(options: AgentOptions): Promise<AgentState> {
  const run = start(options);
  const finished = await steps(run);
  const { editorUrl } = options;
  if (editorUrl) {
    run.log.info({ editor: editorUrl }, "task finished; watching the editor");
    await watchEditor({
      url: editorUrl,
      intervalMs: options.editorPollMs ?? 30_000,
      since: Date.parse(finished.editorActivityAt ?? finished.finishedAt ?? new Date().toISOString()),
      signal: run.signal,
      onActivity: (at) => {
        run.state = { ...run.state, editorActivityAt: at.toISOString() };
        report(run);
      },
    });
  } else {
    run.log.info("task finished; no editor to watch, waiting to be stopped");
    while (!run.signal.aborted) await sleep(3_600_000, run.signal);
  }
  const reported = (await run.reporter?.flush(10_000)) ?? true;
  run.log.info({ reported }, "stopped");
  return run.state;
}
