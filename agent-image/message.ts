import { MAX_SUMMARY_LENGTH } from "../schema/agenttask.ts";
import { TRUNCATED, truncate } from "../schema/artifact.ts";

/** The longest commit title; longer first lines of a prompt are cut. */
const MAX_TITLE = 100;

/** A commit title from the prompt's first non-empty line. */
export function titleOf(prompt: string, task: string): string {
  const first = prompt
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  if (!first) return `agentyard: ${task}`;
  return first.length > MAX_TITLE ? `${first.slice(0, MAX_TITLE - 1).trimEnd()}…` : first;
}

/** The commit message: the title, the rest of the prompt, and trailers naming the task. */
export function commitMessage(prompt: string, task: { task: string; org: string; attempt: number }): string {
  const title = titleOf(prompt, task.task);
  const rest = prompt.trim() === title ? "" : prompt.trim();
  const trailers = `Agentyard-Org: ${task.org}\nAgentyard-Task: ${task.task}\nAgentyard-Attempt: ${task.attempt}`;
  return `${[title, rest, trailers].filter((p) => p !== "").join("\n\n")}\n`;
}

/** The summary of a push: the prompt, cut so that the diffstat after it still fits in the status. */
export function summaryOf(prompt: string, stat: string): string {
  const room = Math.max(TRUNCATED.length, MAX_SUMMARY_LENGTH - stat.length - 2);
  return truncate(`${truncate(prompt, room)}\n\n${stat}`, MAX_SUMMARY_LENGTH);
}
