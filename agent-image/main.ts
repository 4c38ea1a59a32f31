#!/usr/bin/env node
/**
 * The entry point of the runtime's image: `node agent.mjs` (bundled from this file), or
 * `node agent-image/main.ts` from a checkout. With no argument it is the agent container; with
 * `git` (GIT_CONTAINER_ARGS) the git container beside it. Everything else it needs is in its
 * environment (config.ts).
 */
import { createLogger } from "@agentyard/kube-runtime/log";
import { GIT_CONTAINER_ARGS } from "../schema/contract/index.ts";
import { runAgent } from "./agent.ts";
import { ConfigError, gitSideOptionsFromEnv, optionsFromEnv } from "./config.ts";
import { runGitSide } from "./git-side.ts";

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => controller.abort(signal));
}

const role = process.argv[2] === GIT_CONTAINER_ARGS[0] ? "git" : "agent";

try {
  if (role === "git") {
    const options = gitSideOptionsFromEnv(process.env);
    const log = createLogger("info", { name: "agentyard-git" }).child({
      task: options.task,
      attempt: options.attempt,
    });
    await runGitSide({ ...options, signal: controller.signal, log });
  } else {
    const options = await optionsFromEnv(process.env);
    await runAgent({ ...options, signal: controller.signal });
  }
} catch (err) {
  const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
  process.stderr.write(`agentyard ${role}: ${message}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
