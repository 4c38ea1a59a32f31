import { pino } from "pino";
import type { ApiOptions } from "../../api/options.ts";
import { type RunningApi, startApi } from "../../api/server.ts";
import { apiServiceAccountKubeconfig, type Kubectl, must } from "../../devcluster/api-access.ts";
import type { ClusterInfo } from "../../devcluster/cluster.ts";

export { apply, createOrg, grant, must } from "../../devcluster/api-access.ts";

/**
 * The api in this process, as its own ServiceAccount, with token authentication; every answer is
 * checked against its route's response schema, so a test fails on one that drifts.
 */
export async function startTestApi(
  cluster: ClusterInfo,
  kubectl: Kubectl,
  overrides: Partial<ApiOptions> = {},
): Promise<RunningApi> {
  const identity = await apiServiceAccountKubeconfig(cluster, kubectl);
  const api = await startApi({
    kubeconfig: identity.path,
    listen: "127.0.0.1:0",
    auth: "token",
    checkResponses: true,
    log: pino({ level: process.env.AGENTYARD_TEST_LOG ?? "silent" }),
    ...overrides,
  });
  return {
    ...api,
    async close() {
      await api.close();
      await identity.cleanup();
    },
  };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** One HTTP request to the api; the body is parsed as JSON when there is one. */
export async function call<T = Record<string, unknown>>(
  api: { url: string },
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(api.url + path, {
    method,
    headers,
    ...(options.body !== undefined
      ? { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
}

/** Names of the AgentTasks in a namespace, read as admin. */
export async function taskNames(kubectl: Kubectl, namespace: string): Promise<string[]> {
  const out = await must(
    kubectl(["get", "agenttasks", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}"]),
    "kubectl get agenttasks",
  );
  return out.split(/\s+/).filter(Boolean);
}

export interface SseEvent {
  event: string;
  data: unknown;
  id: string | undefined;
  /** Date.now() when the event arrived. */
  at: number;
}

/** A Server-Sent Events client, as a browser's EventSource reads the stream, for tests. */
export interface EventsClient {
  status: number;
  events: SseEvent[];
  /** The last id received, as EventSource would send it in Last-Event-ID. */
  lastEventId: string | undefined;
  next(what: string, match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export async function openEvents(
  api: { url: string },
  path: string,
  options: { token?: string; lastEventId?: string } = {},
): Promise<EventsClient> {
  const abort = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.lastEventId) headers["last-event-id"] = options.lastEventId;
  const res = await fetch(api.url + path, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const client: EventsClient = {
    status: res.status,
    events,
    lastEventId: options.lastEventId,
    async next(what, match, timeoutMs = 10_000) {
      const seen = events.find(match);
      if (seen) return seen;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `timed out after ${timeoutMs}ms waiting for ${what}; events: ${events.map((e) => e.event).join(",")}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
      });
    },
    close: () => abort.abort(),
  };
  if (res.status !== 200 || !res.body) return client;
  void (async () => {
    let buffer = "";
    let fields: { event?: string; data?: string; id?: string } = {};
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline = buffer.indexOf("\n");
        while (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf("\n");
          if (line === "") {
            if (fields.id !== undefined) client.lastEventId = fields.id;
            if (fields.data !== undefined) {
              events.push({
                event: fields.event ?? "message",
                data: JSON.parse(fields.data),
                id: fields.id,
                at: Date.now(),
              });
              for (const waiter of [...waiters]) waiter();
            }
            fields = {};
            continue;
          }
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const name = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, "");
          if (name === "event" || name === "data" || name === "id") fields[name] = value;
        }
      }
    } catch {
      // Closed by the test.
    }
  })();
  return client;
}
