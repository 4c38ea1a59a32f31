import { request } from "node:https";

export interface HttpResult {
  status: number;
  body: string;
}

/** A GET against a TLS endpoint that trusts only the given CA: the launcher's readiness probe. */
export function httpsGet(url: string, ca: string, token?: string, timeoutMs = 5000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Polls `check` until it returns a value or the deadline passes (on the monotonic clock: a test may
 * step the wall clock); the error names what was awaited.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  {
    timeoutMs = 60_000,
    intervalMs = 200,
    abort,
  }: { timeoutMs?: number; intervalMs?: number; abort?: () => Promise<string | undefined> } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = (err as Error).message;
    }
    const reason = abort ? await abort() : undefined;
    if (reason) throw new Error(`${what}: ${reason}`);
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs}ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
