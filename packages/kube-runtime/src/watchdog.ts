import { timerDelay } from "./sleep.ts";

/**
 * Calls `onSilent` once when `reset()` has not been called for `ms`: how an informer notices a watch
 * whose connection is open but delivers nothing, not even bookmarks.
 */
export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly ms: number;
  private readonly onSilent: () => void;

  constructor(ms: number, onSilent: () => void) {
    this.ms = timerDelay(ms);
    this.onSilent = onSilent;
    this.reset();
  }

  reset(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onSilent();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
