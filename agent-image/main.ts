#!/usr/bin/env node
/**
 * The agent container's entry point: `node agent.mjs` in the image (bundled from this file), or
 * `node agent-image/main.ts` from a checkout. Everything it needs is in its environment (config.ts).
 */
import { runAgent } from "./agent.ts";
import { ConfigError, optionsFromEnv } from "./config.ts";

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => controller.abort(signal));
}

try {
  const options = await optionsFromEnv(process.env);
  await runAgent({ ...options, signal: controller.signal });
} catch (err) {
  const message = err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err));
  process.stderr.write(`agentyard agent: ${message}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
