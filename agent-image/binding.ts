/**
 * A warm pool member's side of its binding (schema/contract/warm-pool.ts): its containers start
 * before their task exists and wait, watching their binding ConfigMap, until the operator writes
 * the task's variables into it.
 */
import type { IncomingMessage } from "node:http";
import { sleep } from "@agentyard/kube-runtime/sleep";
import { AGENT_ENV, BINDING_ENV, readAgentEnv } from "../schema/contract/index.ts";
import { ConfigError, serviceAccountTarget } from "./config.ts";
import {
  type ConfigMapTarget,
  configMapsPath,
  isTransient,
  RequestError,
  readBody,
  reason,
  send,
} from "./kube-api.ts";

/** The variables a binding adds to its container's environment. */
export type Binding = Record<string, string>;

export interface BindingOptions {
  target: ConfigMapTarget;
  /** The container's key in the ConfigMap: BINDING_KEY.agent or BINDING_KEY.git. */
  key: string;
  /** Aborted on SIGTERM, as the pool deletes an idle member: the wait ends without a binding. */
  signal: AbortSignal;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** How long the API server keeps one watch open; then the ConfigMap is listed again. */
  watchSeconds?: number;
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

interface ConfigMap {
  data?: Record<string, string>;
}

interface WatchEvent {
  type?: string;
  /** The ConfigMap, or for an ERROR the API server's Status. */
  object?: ConfigMap & { message?: string };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Waits until the binding ConfigMap holds `key`, and returns its variables; undefined when the
 * signal aborts first. Until the ConfigMap and the Role that lets the member read it exist (the
 * operator makes them just after the pod), the API server answers 404 or 403: not yet, not a failure.
 * A failure that will not pass by itself (a 401, a certificate the CA did not sign) is thrown.
 */
export async function waitForBinding(options: BindingOptions): Promise<Binding | undefined> {
  const { key, signal } = options;
  const log = options.log ?? (() => {});
  const firstBackoff = options.firstBackoffMs ?? 250;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  let backoff = firstBackoff;
  while (!signal.aborted) {
    const started = Date.now();
    try {
      const value = await listAndWatch(options, log);
      if (value !== undefined) return parseBinding(key, value);
      // A watch open that long was a healthy one the API server ended; one ended sooner is not.
      if (Date.now() - started >= maxBackoff) backoff = firstBackoff;
    } catch (err) {
      if (signal.aborted) break;
      if (!(err instanceof RequestError)) throw err;
      if (err.status === 403 || err.status === 404) {
        log("the binding cannot be read yet; waiting", { status: err.status, backoff });
      } else if (isTransient(err.status, err.code)) {
        log("reading the binding failed; retrying", { error: err.message, backoff });
      } else {
        throw err;
      }
    }
    await sleep(backoff, signal);
    backoff = Math.min(backoff * 2, maxBackoff);
  }
  return undefined;
}

/**
 * Lists the ConfigMap, then watches it from the list's resourceVersion, so that nothing written
 * between the two is missed. The key's text, or undefined when the watch ended without it.
 */
async function listAndWatch(options: BindingOptions, log: NonNullable<BindingOptions["log"]>) {
  const { target, key, signal } = options;
  const collection = configMapsPath(target.namespace);
  const selector = `fieldSelector=${encodeURIComponent(`metadata.name=${target.name}`)}`;
  const res = await send(target, {
    method: "GET",
    path: `${collection}?${selector}`,
    timeoutMs: 10_000,
    signal,
  });
  if (res.statusCode !== 200) throw await statusError(res);
  const list = JSON.parse(await readBody(res)) as {
    metadata?: { resourceVersion?: string };
    items?: ConfigMap[];
  };
  const listed = list.items?.[0]?.data?.[key];
  if (listed !== undefined) return listed;
  const watchSeconds = options.watchSeconds ?? 300;
  const query = [
    selector,
    "watch=1",
    "allowWatchBookmarks=false",
    `timeoutSeconds=${watchSeconds}`,
    `resourceVersion=${encodeURIComponent(list.metadata?.resourceVersion ?? "")}`,
  ].join("&");
  const watch = await send(target, {
    method: "GET",
    path: `${collection}?${query}`,
    // Without bookmarks a watch is silent until the ConfigMap changes; only past its timeout is it lost.
    timeoutMs: (watchSeconds + 30) * 1000,
    signal,
  });
  if (watch.statusCode !== 200) throw await statusError(watch);
  return keyFromEvents(watch, key, log);
}

async function statusError(res: IncomingMessage): Promise<RequestError> {
  return new RequestError(`HTTP ${res.statusCode}: ${reason(await readBody(res))}`, res.statusCode);
}

/** Reads a watch's events until one holds the key; undefined when the watch ends first. */
async function keyFromEvents(
  res: IncomingMessage,
  key: string,
  log: NonNullable<BindingOptions["log"]>,
): Promise<string | undefined> {
  for await (const line of lines(res)) {
    let event: WatchEvent;
    try {
      event = JSON.parse(line) as WatchEvent;
    } catch {
      throw new Error(`the binding's watch sent a line that is not JSON: ${line.slice(0, 200)}`);
    }
    if (event.type === "ERROR") {
      // Most often 410 Gone: the resourceVersion is too old to watch from; the next list's is not.
      log("the binding's watch ended with an error; listing again", { error: event.object?.message });
      return undefined;
    }
    const value = event.object?.data?.[key];
    if ((event.type === "ADDED" || event.type === "MODIFIED") && value !== undefined) return value;
  }
  return undefined;
}

/** A stream's non-empty lines as they arrive; a connection lost midway is a RequestError. */
async function* lines(res: IncomingMessage): AsyncGenerator<string> {
  res.setEncoding("utf8");
  let pending = "";
  try {
    for await (const chunk of res as AsyncIterable<string>) {
      pending += chunk;
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        const line = pending.slice(0, end).trim();
        pending = pending.slice(end + 1);
        if (line) yield line;
      }
    }
  } catch (err) {
    throw new RequestError((err as Error).message, undefined, (err as NodeJS.ErrnoException).code);
  } finally {
    res.destroy();
  }
}

/**
 * The variables under a binding's key. Only the operator writes them, so a malformed binding is a
 * bug of its: the container fails rather than run a task other than the one bound.
 */
export function parseBinding(key: string, raw: string): Binding {
  const malformed = (why: string) => new ConfigError(`the binding's key ${JSON.stringify(key)} ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw malformed("is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw malformed("is not a JSON object of variable name → value");
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (!ENV_NAME.test(name)) throw malformed(`names ${JSON.stringify(name)}, not a variable name`);
    if (typeof value !== "string") throw malformed(`gives ${name} ${JSON.stringify(value)}, not a string`);
    if (value.includes("\0")) throw malformed(`gives ${name} a value with a NUL character`);
  }
  return parsed as Binding;
}

/** The binding ConfigMap of a warm pool member's container; undefined in a pod made for its task. */
export async function bindingTarget(env: NodeJS.ProcessEnv): Promise<ConfigMapTarget | undefined> {
  const name = env[BINDING_ENV];
  if (!name) return undefined;
  const namespace = env[AGENT_ENV.namespace.name];
  if (!namespace) throw new ConfigError(`${AGENT_ENV.namespace.name} must be set with ${BINDING_ENV}`);
  const target = await serviceAccountTarget(env, namespace, name);
  if (!target) {
    throw new ConfigError(
      `${BINDING_ENV} is set but KUBERNETES_SERVICE_HOST is not: the binding is read from the API server`,
    );
  }
  return target;
}

/**
 * A bound container's environment: its pod's with the binding's variables over it, as a pod made
 * for the task would have had it. Without BINDING_ENV: the container waits no more, and nothing it
 * starts is to think it should.
 */
export function boundEnv(processEnv: NodeJS.ProcessEnv, binding: Binding): NodeJS.ProcessEnv {
  const { [BINDING_ENV]: _waited, ...env } = { ...processEnv, ...binding };
  return env;
}

/**
 * Whether a git container has nothing to do: it was bound to a task without a repository. It waits
 * for SIGTERM then, since exiting would only restart it (a member's restartPolicy is Always).
 */
export function idleGitSide(processEnv: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv): boolean {
  return Boolean(processEnv[BINDING_ENV]) && !readAgentEnv(env).repoUrl;
}
