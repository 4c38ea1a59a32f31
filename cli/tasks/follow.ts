import { setTimeout as delay } from "node:timers/promises";
import type { AgentTask } from "../../schema/agenttask.ts";
import { type ApiClient, ApiError, problemLine } from "../client/api.ts";

export interface TaskRef {
  org: string;
  namespace: string;
  name: string;
}

/** How long the api may be unreachable while a task is followed before the command gives up. */
const UNREACHABLE_FOR_MS = 60_000;

/**
 * The task as it changes, from the api's event stream of its Org: every version the api sends,
 * `undefined` once it is deleted. A dropped stream is resumed from its last event id (nothing is
 * missed); an api that stays unreachable for a minute, or refuses the stream, ends it with an ApiError.
 */
export async function* followTask(client: ApiClient, ref: TaskRef, signal: AbortSignal) {
  const path = `/api/v1/events?org=${encodeURIComponent(ref.org)}`;
  let lastEventId: string | undefined;
  let unreachableSince: number | undefined;
  while (!signal.aborted) {
    try {
      for await (const message of client.events(path, { lastEventId, signal })) {
        unreachableSince = undefined;
        if (message.id) lastEventId = message.id;
        if (message.event === "error") {
          throw new ApiError(500, problemLine(500, "the event stream ended", JSON.parse(message.data)));
        }
        if (message.event !== "task") continue;
        const change = JSON.parse(message.data) as { type: string; object: AgentTask };
        const meta = change.object.metadata;
        if (meta?.namespace !== ref.namespace || meta?.name !== ref.name) continue;
        yield change.type === "DELETED" ? undefined : change.object;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof ApiError) || err.status !== 0) throw err;
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > UNREACHABLE_FOR_MS) throw err;
    }
    // The stream ended or dropped: reconnect, a little later, from where it stopped.
    await delay(1_000, undefined, { signal }).catch(() => undefined);
  }
}
