import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "{cli,schema,operator,api,devcluster,agent-image,charts,cdk8s,dashboard,packages}/**/*.test.ts",
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
    ],
  },
});
