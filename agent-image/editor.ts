import { sleep } from "@agentyard/kube-runtime/sleep";

/** code-server's /healthz answer. */
interface Health {
  status?: string;
  /** Milliseconds since the epoch of the last activity; 0 when nobody has used the editor. */
  lastHeartbeat?: number;
}

export interface EditorWatch {
  /** code-server's base URL, e.g. http://127.0.0.1:8443. */
  url: string;
  intervalMs: number;
  /** Activity at or before this time (ms) is not reported: the task's finish already counts as activity. */
  since: number;
  signal: AbortSignal;
  onActivity: (at: Date) => void;
}

async function heartbeat(url: string, signal: AbortSignal): Promise<number | undefined> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, "")}/healthz`, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]),
    });
    if (!res.ok) return undefined;
    const health = (await res.json()) as Health;
    return typeof health.lastHeartbeat === "number" ? health.lastHeartbeat : undefined;
  } catch {
    // The editor is starting, restarting, or gone: ask again next time.
    return undefined;
  }
}

/**
 * Polls code-server's heartbeat until `signal` aborts and calls onActivity each time it advances, so
 * the operator can stop editors nobody uses.
 */
export async function watchEditor(watch: EditorWatch): Promise<void> {
  let last = watch.since;
  while (!watch.signal.aborted) {
    const beat = await heartbeat(watch.url, watch.signal);
    if (beat !== undefined && beat > last) {
      last = beat;
      watch.onActivity(new Date(beat));
    }
    await sleep(watch.intervalMs, watch.signal);
  }
}
