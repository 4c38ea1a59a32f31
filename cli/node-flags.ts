/**
 * The V8 flags the image runs `agentyard operator` and `agentyard api` with (the Dockerfile's
 * ENTRYPOINT, the operator's command in the chart; the benchmarks run them the same way).
 *
 * --max-semi-space-size=4: V8 sizes its young generation for throughput and grows it to 64 MiB
 * per semi-space on a large machine; measured here, the operator's new space stood at 64 MiB idle
 * and 128 MiB with 1,000 tasks, a third of its RSS, for objects that live one reconcile. At 4 MiB
 * the same run took 316 MiB instead of 409–552 MiB and gave 1,000 tasks their children no slower
 * (docs/benchmarks.md).
 */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=4"] as const;

/** Where the image holds the operator's bundle (cli/operator-bundle.ts; the Dockerfile builds it). */
export const OPERATOR_IMAGE_BUNDLE = "/app/dist/operator/agentyard-operator.mjs";

/**
 * The operator container's command in the chart and the cdk8s app: its bundle instead of the CLI
 * the image's ENTRYPOINT runs, followed by the same `operator ...` arguments.
 */
export const OPERATOR_IMAGE_COMMAND = ["node", ...SERVER_NODE_FLAGS, OPERATOR_IMAGE_BUNDLE] as const;
