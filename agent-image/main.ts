#!/usr/bin/env node
/**
 * The entry point of the runtime's image: `node agent.mjs` (bundled from this file), or
 * `node agent-image/main.ts` from a checkout. With no argument it is the agent container; with
 * `git` (GIT_CONTAINER_ARGS) the git container beside it. Everything else it needs is in its
 * environment (config.ts), or, in a warm pool member, in the binding it waits for (binding.ts).
 */
import { createLogger } from "@agentyard/kube-runtime/log";
import { MAX_TIMER_MS, sleep } from "@agentyard/kube-runtime/sleep";
import { AGENT_ENV, BINDING_KEY, GIT_CONTAINER_ARGS } from "../schema/contract/index.ts";
import { runAgent } from "./agent.ts";
import { bindingTarget, boundEnv, idleGitSide, waitForBinding } from "./binding.ts";
import { ConfigError, gitSideOptionsFromEnv, optionsFromEnv } from "./config.ts";
import { runGitSide } from "./git-side.ts";

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => controller.abort(signal));
}

const role = process.argv[2] === GIT_CONTAINER_ARGS[0] ? "git" : "agent";
const log = createLogger("info", { name: `agentyard-${role}` });

/** The container's environment: the pod's, or a member's once bound; undefined if stopped unbound. */
async function environment(): Promise<NodeJS.ProcessEnv | undefined> {
  const target = await bindingTarget(process.env);
  if (!target) return process.env;
  const bindingLog = log.child({ binding: target.name });
  bindingLog.info("waiting for a task to be bound");
  const binding = await waitForBinding({
    target,
    key: BINDING_KEY[role],
    signal: controller.signal,
    log: (message, fields) => bindingLog.warn(fields ?? {}, message),
  });
  if (!binding) {
    bindingLog.info("stopped before a task was bound");
    return undefined;
  }
  const env = boundEnv(process.env, binding);
  bindingLog.info({ task: env[AGENT_ENV.task.name] }, "bound");
  return env;
}

try {
  const env = await environment();
  if (!env) {
    // SIGTERM while waiting: the pool deleted an idle member, which is no failure.
  } else if (role === "git") {
    if (idleGitSide(process.env, env)) {
      log.info("the bound task has no repository; idle until stopped");
      while (!controller.signal.aborted) await sleep(MAX_TIMER_MS, controller.signal);
    } else {
      const options = gitSideOptionsFromEnv(env);
      await runGitSide({
        ...options,
        signal: controller.signal,
        log: log.child({ task: options.task, attempt: options.attempt }),
      });
    }
  } else {
    const options = await optionsFromEnv(env);
    await runAgent({ ...options, signal: controller.signal });
  }
} catch (err) {
  const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
  process.stderr.write(`agentyard ${role}: ${message}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
