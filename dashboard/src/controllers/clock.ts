import type { ReactiveController, ReactiveControllerHost } from "lit";

const TICK_MS = 10_000;
const hosts = new Set<ReactiveControllerHost>();
let timer: ReturnType<typeof setInterval> | undefined;

/**
 * Re-renders its host every few seconds, so that "3 s ago" does not stay 3 s. One timer serves
 * every host on the page, and stops when none is connected.
 */
export class ClockController implements ReactiveController {
  private readonly host: ReactiveControllerHost;

  constructor(host: ReactiveControllerHost) {
    this.host = host;
    host.addController(this);
  }

  hostConnected(): void {
    hosts.add(this.host);
    timer ??= setInterval(() => {
      for (const host of hosts) host.requestUpdate();
    }, TICK_MS);
  }

  hostDisconnected(): void {
    hosts.delete(this.host);
    if (hosts.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  }
}
