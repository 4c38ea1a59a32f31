import type { AgentTask } from "../../../schema/index.ts";

/**
 * The numbers behind the dashboard's charts, from the timestamps the tasks themselves carry
 * (metadata.creationTimestamp, status.startedAt, runningAt, finishedAt, phase): no store of its own,
 * so the charts show the tasks that still exist. Pure, so that every number is tested without a browser.
 */

const MINUTE = 60_000;
/** The longest look back; tasks older than this are outside every chart. */
export const MAX_SPAN_MS = 6 * 60 * MINUTE;
/** The shortest: a few minutes of work still gets a picture with room on its left. */
export const MIN_SPAN_MS = 15 * MINUTE;
/** Interval lengths to choose from, shortest first; the first that keeps the buckets few wins. */
const STEPS_MS = [1, 2, 5, 10, 15, 30].map((m) => m * MINUTE);
const MAX_BUCKETS = 24;

export const OUTCOMES = ["Succeeded", "Failed", "Cancelled", "TimedOut"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The intervals every chart shares: `starts[i]` is where bucket i begins (ms since the epoch). */
export interface Buckets {
  stepMs: number;
  starts: number[];
}

export interface TaskSeries {
  buckets: Buckets;
  /** Tasks the operator started (status.startedAt) in each interval. */
  started: number[];
  /** Tasks that reached each final phase (status.finishedAt) in each interval. */
  finished: Record<Outcome, number[]>;
  /** Seconds from creation to running, of the tasks that first ran in each interval; null: none. */
  waitP50: (number | null)[];
  waitP95: (number | null)[];
  /** Seconds from running (or, never seen running, from start) to the end, of the tasks that ended in each interval. */
  durationP50: (number | null)[];
  durationP95: (number | null)[];
  /** The most tasks waiting at once in each interval: created and not yet started (nor finished). */
  queueDepth: number[];
}

const time = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * The intervals: from the oldest task (at least MIN_SPAN_MS, at most MAX_SPAN_MS back) to now, cut
 * into at most MAX_BUCKETS intervals of a round length, aligned to it so that the cuts stay put as
 * time passes.
 */
export function bucketsFor(tasks: readonly AgentTask[], now: number): Buckets {
  const created = tasks.map((t) => time(t.metadata.creationTimestamp)).filter((t) => t !== undefined);
  const oldest = Math.min(now, ...created);
  const span = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, now - oldest));
  const stepMs = STEPS_MS.find((step) => span / step <= MAX_BUCKETS) ?? (STEPS_MS.at(-1) as number);
  const last = Math.floor(now / stepMs) * stepMs;
  const count = Math.min(MAX_BUCKETS, Math.ceil(span / stepMs) + 1);
  return { stepMs, starts: Array.from({ length: count }, (_, i) => last - (count - 1 - i) * stepMs) };
}

/** The bucket holding `at`, or -1 when it is outside them all. */
function bucketOf(buckets: Buckets, at: number | undefined): number {
  if (at === undefined) return -1;
  const first = buckets.starts[0] as number;
  const i = Math.floor((at - first) / buckets.stepMs);
  return i >= 0 && i < buckets.starts.length ? i : -1;
}

/** The nearest-rank percentile of `values` (p in 0..100), or null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** The most intervals [from, to) that overlap at any moment of each bucket. */
function mostAtOnce(buckets: Buckets, intervals: readonly { from: number; to: number }[]): number[] {
  return buckets.starts.map((start) => {
    const end = start + buckets.stepMs;
    // The count can only rise where an interval begins, so the bucket's start and every beginning in it are enough.
    const moments = [start, ...intervals.map((q) => q.from).filter((t) => t > start && t < end)];
    return Math.max(...moments.map((t) => intervals.filter((q) => q.from <= t && t < q.to).length));
  });
}

export function taskSeries(tasks: readonly AgentTask[], now: number): TaskSeries {
  const buckets = bucketsFor(tasks, now);
  const n = buckets.starts.length;
  const zeros = () => new Array<number>(n).fill(0);
  const lists = () => Array.from({ length: n }, () => [] as number[]);
  const started = zeros();
  const finished = Object.fromEntries(OUTCOMES.map((o) => [o, zeros()])) as Record<Outcome, number[]>;
  const waits = lists();
  const durations = lists();
  const queued: { from: number; to: number }[] = [];

  for (const task of tasks) {
    const created = time(task.metadata.creationTimestamp);
    const status = task.status;
    const startedAt = time(status?.startedAt);
    const runningAt = time(status?.runningAt);
    const finishedAt = time(status?.finishedAt);
    const phase = status?.phase;

    const s = bucketOf(buckets, startedAt);
    if (s >= 0) started[s] = (started[s] as number) + 1;
    const f = bucketOf(buckets, finishedAt);
    if (f >= 0 && (OUTCOMES as readonly string[]).includes(phase ?? "")) {
      const counts = finished[phase as Outcome];
      counts[f] = (counts[f] as number) + 1;
    }
    const r = bucketOf(buckets, runningAt);
    if (r >= 0 && created !== undefined && runningAt !== undefined) {
      waits[r]?.push(Math.max(0, runningAt - created));
    }
    const ranFrom = runningAt ?? startedAt;
    if (f >= 0 && ranFrom !== undefined && finishedAt !== undefined) {
      durations[f]?.push(Math.max(0, finishedAt - ranFrom));
    }
    if (created !== undefined)
      queued.push({ from: created, to: startedAt ?? finishedAt ?? Number.POSITIVE_INFINITY });
  }

  const p = (values: number[][], q: number) =>
    values.map((v) => {
      const ms = percentile(v, q);
      return ms === null ? null : seconds(ms);
    });
  return {
    buckets,
    started,
    finished,
    waitP50: p(waits, 50),
    waitP95: p(waits, 95),
    durationP50: p(durations, 50),
    durationP95: p(durations, 95),
    queueDepth: mostAtOnce(buckets, queued),
  };
}
