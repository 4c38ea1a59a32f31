import { execFile } from "node:child_process";
import { chmod, cp, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildOnce, formatElapsed, type Log, moduleCacheKey, runGo, step } from "./go-build.ts";
import { cacheRoot, goModulesDir } from "./paths.ts";
import { TAILSCALE_VERSION } from "./versions.ts";

export const TAILSCALE_MODULE = "tailscale.com";
export const TAILSCALE_MODULE_DIR = join(goModulesDir, "tailscale");

export interface TailscaleBinaries {
  version: string;
  tailscaled: string;
  tailscale: string;
  /** devcluster/go/tailscale's cmd/agentyard-tailnet-control: testcontrol, DERP and STUN. */
  control: string;
}

const run = promisify(execFile);
const PREFIX = "[tailscale]";
const CONTROL = "agentyard-tailnet-control";
/** testcontrol does not model a logout; this patch makes one remove the node. */
const PATCH = "testcontrol-logout.patch";
const TESTCONTROL_FILE = join("tstest", "integration", "testcontrol", "testcontrol.go");

/** tailscaled, tailscale and the control program, built into the cache on first use (under a lock, with progress on `log`). */
export async function ensureTailscale(
  log: Log = (l) => process.stderr.write(`${l}\n`),
): Promise<TailscaleBinaries> {
  const dir = await buildOnce({
    root: join(cacheRoot(), "tailscale"),
    key: await moduleCacheKey("tailscale", TAILSCALE_VERSION, TAILSCALE_MODULE_DIR),
    marker: CONTROL,
    log,
    prefix: PREFIX,
    build: (target) => build(target, log),
  });
  return {
    version: TAILSCALE_VERSION,
    tailscaled: join(dir, "tailscaled"),
    tailscale: join(dir, "tailscale"),
    control: join(dir, CONTROL),
  };
}

async function build(target: string, log: Log): Promise<void> {
  const tmp = `${target}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const started = Date.now();
  log(
    `${PREFIX} building ${TAILSCALE_VERSION} from ${TAILSCALE_MODULE_DIR} into ${target} (a cold build takes minutes)`,
  );
  await step(log, PREFIX, 1, 3, "downloading Go modules", async () => {
    await runGo("go", ["mod", "download"], TAILSCALE_MODULE_DIR);
  });
  await step(log, PREFIX, 2, 3, "building tailscaled and tailscale", async (tick) => {
    await runGo(
      "go",
      [
        "build",
        "-v",
        "-trimpath",
        "-o",
        `${tmp}/`,
        `${TAILSCALE_MODULE}/cmd/tailscaled`,
        `${TAILSCALE_MODULE}/cmd/tailscale`,
      ],
      TAILSCALE_MODULE_DIR,
      tick,
    );
  });
  await step(log, PREFIX, 3, 3, `building ${CONTROL}`, async (tick) => {
    const work = await patchedModule(tmp);
    await runGo(
      "go",
      ["build", "-v", "-trimpath", "-mod=vendor", "-o", join(tmp, CONTROL), `./cmd/${CONTROL}`],
      work,
      tick,
    );
    await rm(work, { recursive: true });
  });
  await rename(tmp, target);
  log(`${PREFIX} built in ${formatElapsed(Date.now() - started)}`);
}

/**
 * A copy of the wrapper module, vendored, with the logout patch applied to the vendored
 * testcontrol.go: go refuses overlays of files in the module cache.
 */
async function patchedModule(dir: string): Promise<string> {
  const work = join(dir, "module");
  await cp(TAILSCALE_MODULE_DIR, work, { recursive: true });
  await runGo("go", ["mod", "vendor"], work);
  const file = join(work, "vendor", TAILSCALE_MODULE, TESTCONTROL_FILE);
  await chmod(file, 0o644);
  await run("patch", ["--forward", "--batch", "--quiet", file, join(TAILSCALE_MODULE_DIR, PATCH)], {
    cwd: work,
  });
  return work;
}
