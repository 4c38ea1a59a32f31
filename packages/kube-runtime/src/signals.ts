import { type Logger, silentLogger } from "./log.ts";

export interface ShutdownOptions {
  log?: Logger;
  /** Past this, the process exits even if shutdown has not finished (the kubelet kills at 30 s). */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * On SIGTERM or SIGINT, runs `shutdown` (stop controllers, release the lease, close the server) and
 * exits; a second signal exits at once. Returns a function that removes the handlers.
 */
export function onShutdown(shutdown: () => Promise<void>, options: ShutdownOptions = {}): () => void {
  const log = options.log ?? silentLogger();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.warn({ signal }, "second signal: exiting now");
      exit(1);
      return;
    }
    shuttingDown = true;
    log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      log.error("shutdown did not finish in time: exiting");
      exit(1);
    }, options.timeoutMs ?? 25_000);
    timer.unref();
    shutdown().then(
      () => {
        clearTimeout(timer);
        log.info("shut down");
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        log.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
