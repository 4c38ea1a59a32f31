import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "{cli,schema,operator,api,devcluster,agent-image,charts,cdk8s,dashboard,packages,bench}/**/*.test.ts",
          ],
        },
      },
      {
        test: {
          name: "cluster",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          // Processes, not threads: control-plane children die with the process that started them.
          pool: "forks",
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Faults on real devclusters: `npm run test:chaos`, not part of `npm test`.
        test: {
          name: "chaos",
          include: ["chaos/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          pool: "forks",
          // Each file starts clusters of its own and loads them hard: one file at a time.
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
