#!/usr/bin/env node
/**
 * The demo agent: writes the task's prompt into tasks/<task>.md in the current directory (the
 * workspace) and leaves committing and pushing to the runtime, like the MVP's task stub. It stands in
 * for a coding-agent CLI, which is one Org setting (spec.agent.command) away.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const task = process.env.AGENTYARD_TASK || "task";
const promptFile = process.env.AGENTYARD_PROMPT_FILE;
const prompt = process.env.AGENTYARD_PROMPT ?? (promptFile ? readFileSync(promptFile, "utf8") : "");
const file = join("tasks", `${task}.md`);
mkdirSync("tasks", { recursive: true });
writeFileSync(file, `# ${task}\n\n${prompt.trim()}\n`);
process.stdout.write(`demo agent: wrote ${file}\n`);
