import type { BuildOptions } from "esbuild";

/**
 * esbuild's options for a program bundled into one ES module for Node 24, the agent's runtime
 * (agent-image/build.ts) and the operator (operator-bundle.ts) alike.
 */
export const NODE_BUNDLE = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  // Bundled CommonJS dependencies (pino) call require() for Node's own modules.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
} as const satisfies BuildOptions;
