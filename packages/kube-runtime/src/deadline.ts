/**
 * Now on the monotonic clock, in milliseconds: what every duration of leader election is measured
 * with. A wall clock can be stepped (NTP, a resumed VM), and a Lease judged by one could let two
 * replicas lead at once; this one only ever moves forward, also while the process is paused.
 */
export function monotonicNow(): number {
  return performance.now();
}

const deadlines = new WeakMap<AbortSignal, Deadline>();

/**
 * An AbortSignal that aborts at a deadline on the monotonic clock, which its owner may move later,
 * or at once on `end()`. A timer aborts it, but a timer can fire late: a process resumed after a
 * pause first runs the I/O callbacks that piled up (watch events, answers) and only then its
 * timers. So `check()`, and `throwIfAborted()` on its signal, compare the clock themselves; every
 * request the runtime sends and every reconcile it starts asks them first.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly reason: string;
  private at: number;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `at` is a `monotonicNow()` time; `reason` is the message of the error the signal aborts with. */
  constructor(at: number, reason: string) {
    this.at = at;
    this.reason = reason;
    deadlines.set(this.controller.signal, this);
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Moves the deadline to `at`; an ended deadline stays ended. */
  extend(at: number): void {
    if (this.check()) return;
    this.at = at;
    this.arm();
  }

  /** Aborts now. */
  end(reason: string = this.reason): void {
    clearTimeout(this.timer);
    if (!this.signal.aborted) this.controller.abort(new DeadlineExceeded(reason));
  }

  /** Ends the deadline if the clock has passed it; true once it has ended. */
  check(): boolean {
    if (!this.signal.aborted && monotonicNow() >= this.at) this.end();
    return this.signal.aborted;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const left = this.at - monotonicNow();
    if (left <= 0) {
      this.end();
      return;
    }
    this.timer = setTimeout(() => {
      if (!this.check()) this.arm();
    }, left);
    // The deadline is a limit on work, not work itself: it must not keep a process alive.
    this.timer.unref();
  }
}

/** The reason a Deadline's signal aborts with. */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/**
 * Throws the signal's reason when it has aborted, or when it is a Deadline's whose time has passed
 * though its timer has not fired yet.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal) return;
  deadlines.get(signal)?.check();
  signal.throwIfAborted();
}
