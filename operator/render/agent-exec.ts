import { commandArgv } from "../../schema/contract/index.ts";
import { ARG_MAX, execStringSize, utf8Length } from "../../schema/exec-limits.ts";
import type { AgentTask, Org } from "../../schema/index.ts";
import { agentCommand, operatorEnv, presetEnv, promptArgument, userEnv } from "./task.ts";

/**
 * What the agent's environment and argv take of ARG_MAX, in execve's count (bytes, NUL, pointer), as
 * the kubelet hands them over: it expands `$(NAME)` in each value to the value of a variable defined
 * before it, so one entry within the CRD's limits can stand for many bytes. Both programs that get the
 * environment count: the container's (the image's entrypoint and the Org's args) and the command the
 * runtime runs with all of it; the longer argv is the one that counts.
 */
export interface AgentExec {
  /** agentyard's own variables: the prompt, the command as JSON, the task's names and paths. */
  operator: number;
  /** The Org's spec.agent.env entries that the task does not override. */
  org: number;
  /** The task's spec.agent.env entries. */
  task: number;
  /** The longer argv: the command's, or the Org's spec.agent.args. */
  argv: number;
  total: number;
  /** The environment entry with the most bytes once expanded (`NAME=value`, without its NUL), and who set it. */
  largest: { name: string; bytes: number; part: EnvPart };
}

/** Who set an environment entry. */
export type EnvPart = "operator" | "org" | "task";

/**
 * `value`'s UTF-8 bytes once the kubelet expanded it (k8s.io/kubernetes third_party/forked/golang/
 * expansion): `$$` is `$`, `$(NAME)` is the value of a variable `defined` before it, or stays as
 * written when there is none; every other `$` is itself.
 */
export function expandedLength(value: string, defined: ReadonlyMap<string, number>): number {
  let bytes = 0;
  let from = 0;
  for (let i = 0; i + 1 < value.length; i++) {
    if (value[i] !== "$") continue;
    const next = value[i + 1];
    if (next === "$") {
      bytes += utf8Length(value.slice(from, i)) + 1;
      from = i + 2;
      i += 1;
      continue;
    }
    const close = next === "(" ? value.indexOf(")", i + 2) : -1;
    if (close === -1) {
      // `$` and the character after it, as written; that character cannot start a reference.
      i += 1;
      continue;
    }
    const reference = defined.get(value.slice(i + 2, close));
    if (reference !== undefined) {
      bytes += utf8Length(value.slice(from, i)) + reference;
      from = close + 1;
    }
    i = close;
  }
  // Past ARG_MAX every count fails alike; capping keeps references of references finite.
  return Math.min(bytes + utf8Length(value.slice(from)), ARG_MAX);
}

/** An argv's size; `defined` for one the kubelet expands (container args), none for one it does not. */
function argvSize(argv: readonly string[] | undefined, defined?: ReadonlyMap<string, number>): number {
  const length = (arg: string) => (defined ? expandedLength(arg, defined) : utf8Length(arg));
  return (argv ?? []).reduce((sum, arg) => sum + execStringSize(length(arg)), 0);
}

/** The agent container's exec footprint for `attempt`, from the same env the renderer writes. */
export function agentExec(task: AgentTask, org: Org, attempt: number): AgentExec {
  const own = new Set((task.spec.agent?.env ?? []).map((e) => e.name));
  const defined = new Map<string, number>();
  const exec: AgentExec = {
    operator: 0,
    org: 0,
    task: 0,
    argv: 0,
    total: 0,
    largest: { name: "", bytes: 0, part: "operator" },
  };
  const add = (part: EnvPart, { name, value }: { name: string; value: string }) => {
    const valueBytes = expandedLength(value, defined);
    defined.set(name, valueBytes);
    const bytes = utf8Length(name) + 1 + valueBytes;
    exec[part] += execStringSize(bytes);
    if (bytes > exec.largest.bytes) exec.largest = { name, bytes, part };
  };
  const user = userEnv(task, org);
  const overridden = new Set(user.map((e) => e.name));
  for (const entry of operatorEnv(task, org, attempt)) add("operator", entry);
  // A preset's keys come from a Secret the operator does not read; its own values are counted.
  for (const entry of presetEnv(org)) {
    if ("value" in entry && !overridden.has(entry.name)) add("operator", entry);
  }
  for (const entry of user) add(own.has(entry.name) ? "task" : "org", entry);
  // The kubelet expands args with the whole environment; the command reaches the runtime as written
  // (AGENTYARD_COMMAND's `$` are escaped), and it execs it so, with the prompt last for a preset.
  const command = agentCommand(task, org);
  const argv = command && commandArgv(command, promptArgument(task, org), task.spec.prompt);
  exec.argv = Math.max(argvSize(argv), argvSize(org.spec.agent.args, defined));
  exec.total = exec.operator + exec.org + exec.task + exec.argv;
  return exec;
}
