/**
 * The V8 flags the image runs `agentyard operator` and `agentyard api` with (the Dockerfile's
 * ENTRYPOINT; the benchmarks run the operator the same way).
 *
 * --max-semi-space-size=4: V8 sizes its young generation for throughput and grows it to 64 MiB
 * per semi-space on a large machine; measured here, the operator's new space stood at 64 MiB idle
 * and 128 MiB with 1,000 tasks, a third of its RSS, for objects that live one reconcile. At 4 MiB
 * the same run took 316 MiB instead of 409–552 MiB and gave 1,000 tasks their children no slower
 * (docs/benchmarks.md).
 */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=4"] as const;
