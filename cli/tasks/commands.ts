import { spawn } from "node:child_process";
import { Command, InvalidArgumentError, Option } from "commander";
import { parse as parseShellWords } from "shell-quote";
import type { AgentTask } from "../../schema/agenttask.ts";
import { taskChildNames } from "../../schema/contract/names.ts";
import { isTerminal, TASK_PHASES } from "../../schema/phase.ts";
import type { ScheduleRequest, ScheduleResponse } from "../../schema/rest.ts";
import { type ApiClient, ApiError } from "../client/api.ts";
import { followTask } from "./follow.ts";
import { logTail, watchTask } from "./live.ts";
import { apiOption, type ConnectFlags, connect, kubeconfigOption, tokenOption } from "./options.ts";
import { listTasks, resolveTask, taskPath } from "./resolve.ts";
import { EXIT, elapsedOf, outcome, phaseOf, readableLogLine } from "./view.ts";

type ApiFlags = ConnectFlags;

const write = (line: string) => process.stdout.write(`${line}\n`);

/** Errors of these commands are one line; `run` keeps its exit codes apart from the task's outcome. */
function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
  failure: number = EXIT.couldNotFollow,
) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.stderr.write(`agentyard: ${(err as Error).message}\n`);
      process.exitCode = failure;
    }
  };
}

/** `--command "claude -p"`: words as a shell would split them, but never run by one. */
function commandWords(value: string): string[] {
  const words = parseShellWords(value);
  if (words.length === 0 || words.some((word) => typeof word !== "string")) {
    throw new InvalidArgumentError("must be a command and its arguments, without shell operators or globs");
  }
  return words as string[];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number");
  return n;
}

const withApi = (command: Command) =>
  command.addOption(apiOption()).addOption(tokenOption()).addOption(kubeconfigOption());

/** Runs `fn` with a client for the flags' api, closed afterwards (an in-process one with --kubeconfig). */
async function withClient<T>(flags: ConnectFlags, fn: (client: ApiClient) => Promise<T>): Promise<T> {
  const connection = await connect(flags);
  try {
    return await fn(connection.client);
  } finally {
    await connection.close();
  }
}

interface RunFlags extends ApiFlags {
  org: string;
  repo?: string;
  branch?: string;
  timeout?: string;
  retries?: number;
  command?: string[];
  detach?: boolean;
}

function runCommand(): Command {
  return withApi(
    new Command("run")
      .description("schedule a task for an Org and follow it live until it ends")
      .argument("<prompt...>", "what the agent should do")
      .addOption(
        new Option("--org <org>", "the Org the task runs for").makeOptionMandatory().env("AGENTYARD_ORG"),
      )
      .option("--repo <url>", "git URL of the repository (the Org's when omitted)")
      .option("--branch <branch>", "branch to start from")
      .option("--timeout <duration>", "how long an attempt may run, as a Go duration (30m, 1h)")
      .option("--retries <n>", "attempts after a failed one", positiveInt)
      .option(
        "--command <command>",
        "the agent's command and arguments (the Org's when omitted)",
        commandWords,
      )
      .option("--wait", "follow the task until it ends (the default)")
      .option("--detach", "print the task and return once it is created"),
  )
    .addHelpText(
      "after",
      "\nExit codes: 0 the task Succeeded; 1 it ended Failed, TimedOut or Cancelled; 2 it could not be scheduled or followed.",
    )
    .action(
      action((words: string[], flags: RunFlags) =>
        withClient(flags, (client) => runTask(client, words, flags)),
      ),
    );
}

async function runTask(client: ApiClient, words: string[], flags: RunFlags): Promise<void> {
  const repo = {
    ...(flags.repo ? { url: flags.repo } : {}),
    ...(flags.branch ? { branch: flags.branch } : {}),
  };
  const request: ScheduleRequest = {
    org: flags.org,
    task: {
      prompt: words.join(" "),
      ...(Object.keys(repo).length > 0 ? { repo } : {}),
      ...(flags.command ? { command: flags.command } : {}),
      ...(flags.timeout ? { timeout: flags.timeout } : {}),
      ...(flags.retries !== undefined ? { retries: flags.retries } : {}),
    } as ScheduleRequest["task"],
  };
  const scheduled = await client.request<ScheduleResponse>("POST", "/schedule", request);
  const ref = { org: scheduled.org, namespace: scheduled.task.namespace, name: scheduled.task.name };
  write(`scheduled ${ref.namespace}/${ref.name} for Org ${ref.org}`);
  if (flags.detach) return;

  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once("SIGINT", interrupt);
  try {
    const task = await watchTask(client, ref, process.stdout, stop.signal);
    const result = outcome(task);
    for (const line of result.lines) write(line);
    if (result.code !== EXIT.succeeded) {
      const tail = await logTail(client, ref, 20);
      if (tail.length > 0) {
        write(["  log (last lines):", ...tail.map((line) => `  │ ${readableLogLine(line)}`)].join("\n"));
      }
    }
    process.exitCode = result.code;
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    write(`stopped following; the task goes on: agentyard logs -f ${ref.namespace}/${ref.name}`);
    process.exitCode = EXIT.couldNotFollow;
  } finally {
    process.off("SIGINT", interrupt);
  }
}

function tasksCommand(): Command {
  return withApi(
    new Command("tasks")
      .description("list tasks: name, Org, phase, age and message")
      .option("--org <org>", "only this Org's tasks")
      .addOption(new Option("--phase <phase>", "only tasks in this phase").choices(TASK_PHASES))
      .option("-o, --output <format>", "table or json", "table"),
  ).action(
    action(async (flags: ApiFlags & { org?: string; phase?: string; output: string }) => {
      const tasks = await withClient(flags, (client) =>
        listTasks(client, {
          ...(flags.org ? { org: flags.org } : {}),
          ...(flags.phase ? { phase: flags.phase } : {}),
        }),
      );
      if (flags.output === "json") {
        write(JSON.stringify(tasks, null, 2));
        return;
      }
      const now = Date.now();
      const rows = [
        ["NAMESPACE", "NAME", "ORG", "PHASE", "AGE", "MESSAGE"],
        ...tasks.map((t) => [
          t.metadata?.namespace ?? "",
          t.metadata?.name ?? "",
          t.spec.org,
          phaseOf(t),
          elapsedOf({ ...t, status: { ...t.status, finishedAt: undefined } } as AgentTask, now),
          (t.status?.message ?? "").replace(/\s+/g, " ").slice(0, 80),
        ]),
      ];
      const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
      for (const row of rows)
        write(
          row
            .map((cell, i) => cell.padEnd(widths[i] ?? 0))
            .join("  ")
            .trimEnd(),
        );
    }),
  );
}

function logsCommand(): Command {
  return withApi(
    new Command("logs")
      .description("the end of a task's agent log")
      .argument("<task>", "<namespace>/<name>, or a task name")
      .option("--org <org>", "look the name up in this Org")
      .option("--tail <lines>", "lines from the end", positiveInt, 200)
      .option("-f, --follow", "keep printing new lines until the task ends"),
  ).action(
    action((arg: string, flags: ApiFlags & { org?: string; tail: number; follow?: boolean }) =>
      withClient(flags, async (client) => {
        const { ref } = await resolveTask(client, arg, flags.org);
        let printed = await logTail(client, ref, flags.tail);
        for (const line of printed) write(line);
        if (!flags.follow) return;
        const stop = new AbortController();
        process.once("SIGINT", () => stop.abort());
        const printNew = async () => {
          const now = await logTail(client, ref, flags.tail);
          for (const line of newLines(printed, now)) write(line);
          printed = now;
        };
        const poll = setInterval(() => void printNew(), 2_000);
        try {
          for await (const task of followTask(client, ref, stop.signal)) {
            if (!task || isTerminal(phaseOf(task))) break;
          }
        } finally {
          clearInterval(poll);
        }
        await printNew();
      }),
    ),
  );
}

/**
 * The lines of `next` after the part it shares with the end of `previous`: two tails of one
 * growing log overlap where the older one ends.
 */
export function newLines(previous: readonly string[], next: readonly string[]): string[] {
  for (let overlap = Math.min(previous.length, next.length); overlap > 0; overlap--) {
    const end = previous.slice(previous.length - overlap);
    if (end.every((line, i) => line === next[i])) return next.slice(overlap);
  }
  return [...next];
}

function cancelCommand(): Command {
  return withApi(
    new Command("cancel")
      .description("stop a task: it ends as Cancelled")
      .argument("<task>", "<namespace>/<name>, or a task name")
      .option("--org <org>", "look the name up in this Org"),
  ).action(
    action((arg: string, flags: ApiFlags & { org?: string }) =>
      withClient(flags, async (client) => {
        const { ref } = await resolveTask(client, arg, flags.org);
        await client.request("POST", taskPath(ref.namespace, ref.name, "/cancel"));
        write(`cancelling ${ref.namespace}/${ref.name}`);
      }),
    ),
  );
}

function openCommand(): Command {
  return withApi(
    new Command("open")
      .description("print a task's editor URL and where its password is; --browser opens it")
      .argument("<task>", "<namespace>/<name>, or a task name")
      .option("--org <org>", "look the name up in this Org")
      .option("--browser", "open the URL with xdg-open"),
  ).action(
    action(async (arg: string, flags: ApiFlags & { org?: string; browser?: boolean }) => {
      const { ref, task } = await withClient(flags, (client) => resolveTask(client, arg, flags.org));
      const url = task.status?.editorURL;
      if (!url)
        throw new ApiError(409, `${ref.namespace}/${ref.name} has no editor yet (phase ${phaseOf(task)})`);
      const secret = taskChildNames(ref.name).editorSecret;
      write(url);
      write(
        `password: kubectl get secret ${secret} -n ${task.status?.namespace ?? ref.namespace} -o jsonpath='{.data.password}' | base64 -d`,
      );
      if (flags.browser)
        spawn("xdg-open", [url], { detached: true, stdio: "ignore" })
          .on("error", () => undefined)
          .unref();
    }),
  );
}

/** The commands people use to run and follow tasks, through the api. */
export function taskCommands(): Command[] {
  return [runCommand(), tasksCommand(), logsCommand(), cancelCommand(), openCommand()];
}
