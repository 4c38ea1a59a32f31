import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The dashboard's build. `vite --config dashboard/vite.config.ts` serves it with live reload and
 * sends API calls to the api at $AGENTYARD_API (http://127.0.0.1:8080 by default).
 */
export default defineConfig({
  root,
  base: "/",
  logLevel: "warn",
  build: {
    // dashboard/dist by default; build.ts builds into a fresh directory and swaps it in.
    emptyOutDir: true,
    target: "es2023",
    // Every byte is served from the api process; no source maps to ship beside it.
    sourcemap: false,
  },
  server: {
    proxy: Object.fromEntries(
      ["/api", "/schedule", "/healthz", "/readyz", "/openapi.json"].map((path) => [
        path,
        { target: process.env.AGENTYARD_API ?? "http://127.0.0.1:8080", changeOrigin: true },
      ]),
    ),
  },
});
