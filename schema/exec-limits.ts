/**
 * What Linux's execve(2) accepts, and the budgets agentyard derives from it for the prompt and the
 * command it hands the agent: a task whose prompt or command could never be exec'd is refused when it
 * is created, instead of becoming a pod that cannot start.
 *
 * - MAX_ARG_STRLEN (linux/binfmts.h): one argument or environment entry, its NUL included, is at most
 *   32 pages, 131072 bytes. The prompt travels as one environment entry (AGENTYARD_PROMPT=...), the
 *   command as another (AGENTYARD_COMMAND=<JSON array>) and as the command's own argv.
 * - ARG_MAX: argv and environment together are bounded by a quarter of the stack limit, typically
 *   2 MiB, counting every string with its NUL and one pointer per string. With both budgets below,
 *   agentyard's own entries stay under 400 KiB of it; the Org's and the task's env, which only the
 *   operator sees together, are held to EXEC_BUDGET there.
 */

/** The longest argument or environment entry execve takes, its terminating NUL included. */
export const MAX_ARG_STRLEN = 131_072;

/** ARG_MAX with the usual 8 MiB stack limit: a quarter of it. */
export const ARG_MAX = 2 * 1024 * 1024;

/** What execve counts for each string beside its bytes and NUL: its pointer in argv or envp (64-bit). */
const POINTER_BYTES = 8;

/**
 * The most the agent's argv and environment, as the operator renders them, may take in execve's count.
 * What the operator cannot see takes the rest of ARG_MAX: the image's ENV (PATH, HOME, ...), the
 * variables the kubelet adds (HOSTNAME, KUBERNETES_SERVICE_*), the entrypoint's argv (tini, node, the
 * runtime's path), the executable's name and the few variables the runtime sets for the command. Those
 * are a few KiB; one MAX_ARG_STRLEN leaves room for them and for an image that sets one large variable.
 */
export const EXEC_BUDGET = ARG_MAX - MAX_ARG_STRLEN;

/** The variable that carries the prompt to the agent (the contract's AGENT_ENV.prompt). */
const PROMPT_VARIABLE = "AGENTYARD_PROMPT";

/** UTF-8 bytes of a text, as execve and CEL's `bytes(s).size()` count them (a lone surrogate is U+FFFD: 3). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** What one argument or environment entry of `bytes` UTF-8 bytes takes of ARG_MAX: with its NUL and its pointer. */
export function execStringSize(bytes: number): number {
  return bytes + 1 + POINTER_BYTES;
}

/** The most bytes of prompt that fit in `AGENTYARD_PROMPT=<prompt>` and its NUL. */
export const MAX_PROMPT_BYTES = MAX_ARG_STRLEN - PROMPT_VARIABLE.length - "=".length - 1;

/**
 * The most bytes a command's entries may have together. JSON doubles at worst the bytes of what
 * commands may hold (`"`, `\`, tab, newline, carriage return), and adds quotes and commas: at most
 * 2 × 65000 + 3 × 64 + 1 bytes, which with `AGENTYARD_COMMAND=` and the NUL is below MAX_ARG_STRLEN.
 */
export const MAX_COMMAND_BYTES = 65_000;

/** Control characters a prompt may not hold: all of C0 but tab and newline, DEL and C1. */
export const PROMPT_CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]";

/** Control characters a command may not hold: NUL, which execve cannot pass, and the rest of C0 but tab, newline and carriage return. */
export const COMMAND_CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]";
