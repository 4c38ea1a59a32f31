import type { LocalProgram, PrepareContext, PreparedProgram } from "./programs.ts";

export type Preparation = { ready: PreparedProgram } | { pending: true } | { error: string; retryAt: number };

const RETRY_MS = 30_000;

/**
 * Each program is prepared once (code-server installs for minutes) without holding up the pods'
 * reconciles: they see it pending and are woken when it is ready or has failed.
 */
export class ProgramCache {
  private readonly context: PrepareContext;
  private readonly wakeAll: () => void;
  private readonly entries = new Map<LocalProgram, Preparation>();

  constructor(context: PrepareContext, wakeAll: () => void) {
    this.context = context;
    this.wakeAll = wakeAll;
  }

  get(program: LocalProgram): Preparation {
    const entry = this.entries.get(program);
    if (entry && !("error" in entry && Date.now() >= entry.retryAt)) return entry;
    this.entries.set(program, { pending: true });
    program
      .prepare(this.context)
      .then(
        (ready) => this.entries.set(program, { ready }),
        (err: Error) => {
          this.context.log(`preparing a program failed: ${err.message}`);
          this.entries.set(program, { error: err.message, retryAt: Date.now() + RETRY_MS });
        },
      )
      .finally(this.wakeAll);
    return { pending: true };
  }
}
