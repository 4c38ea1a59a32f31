import { dirname, join } from "node:path";
import { projectRoot } from "../paths.ts";
import { ensureTailscale } from "../tailscale.ts";
import type { LocalProgram } from "./programs.ts";

/**
 * The tailscale sidecar (`tailscale/tailscale`): tailscale-boot.ts in the place of the image's
 * containerboot, with tailscaled and tailscale, built from the Go module into the cache, on PATH.
 */
export const tailscaleBoot: LocalProgram = {
  async prepare({ log }) {
    const built = await ensureTailscale(log);
    return {
      entrypoint: [process.execPath, join(projectRoot, "devcluster", "node-agent", "tailscale-boot.ts")],
      path: [dirname(built.tailscaled)],
    };
  },
};
