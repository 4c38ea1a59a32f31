/**
 * What Linux's execve(2) accepts, and the budgets agentyard derives from it for the prompt and the
 * command it hands the agent: a task whose prompt or command could never be exec'd is refused when it
 * is created, instead of becoming a pod that cannot start.
 *
 * - MAX_ARG_STRLEN (linux/binfmts.h): one argument or environment entry, its NUL included, is at most
 *   32 pages, 131072 bytes. The prompt travels as one environment entry (AGENTYARD_PROMPT=...), the
 *   command as another (AGENTYARD_COMMAND=<JSON array>) and as the command's own argv.
 * - ARG_MAX: argv and environment together are bounded by a quarter of the stack limit, typically
 *   2 MiB. With both budgets below, agentyard's own entries stay under 400 KiB of it.
 */

/** The longest argument or environment entry execve takes, its terminating NUL included. */
export const MAX_ARG_STRLEN = 131_072;

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
