import { cp, mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildOnce, formatElapsed, type Log, moduleCacheKey, runGo, step } from "./go-build.ts";
import { cacheRoot, goModulesDir } from "./paths.ts";
import { LOCAL_PATH_PROVISIONER_VERSION } from "./versions.ts";

export const LOCAL_PATH_MODULE = "github.com/rancher/local-path-provisioner";
export const LOCAL_PATH_MODULE_DIR = join(goModulesDir, "local-path-provisioner");

export interface LocalPathBinaries {
  provisioner: string;
  /** The module's own deploy/local-path-storage.yaml: the RBAC, scripts and helper pod it was released with. */
  manifest: string;
}

const PREFIX = "[local-path]";
const BINARY = "local-path-provisioner";
const MANIFEST = "local-path-storage.yaml";
/** As its release script stamps it: otherwise `--version` says 0.0.1. */
const LDFLAGS = `-s -w -X main.VERSION=${LOCAL_PATH_PROVISIONER_VERSION}`;

/** The provisioner and its manifest, built into the cache on first use (under a lock, with progress on `log`). */
export async function ensureLocalPathProvisioner(
  log: Log = (l) => process.stderr.write(`${l}\n`),
): Promise<LocalPathBinaries> {
  const dir = await buildOnce({
    root: join(cacheRoot(), "local-path-provisioner"),
    key: await moduleCacheKey(
      "local-path-provisioner",
      LOCAL_PATH_PROVISIONER_VERSION,
      LOCAL_PATH_MODULE_DIR,
      [LDFLAGS],
    ),
    marker: BINARY,
    log,
    prefix: PREFIX,
    build: (target) => build(target, log),
  });
  return { provisioner: join(dir, BINARY), manifest: join(dir, MANIFEST) };
}

async function build(target: string, log: Log): Promise<void> {
  const tmp = `${target}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const started = Date.now();
  log(
    `${PREFIX} building ${LOCAL_PATH_PROVISIONER_VERSION} from ${LOCAL_PATH_MODULE_DIR} into ${target} (a cold build takes about a minute)`,
  );
  await step(log, PREFIX, 1, 2, "downloading Go modules", async () => {
    await runGo("go", ["mod", "download"], LOCAL_PATH_MODULE_DIR);
  });
  await step(log, PREFIX, 2, 2, `building ${BINARY}`, async (tick) => {
    await runGo(
      "go",
      ["build", "-v", "-trimpath", "-ldflags", LDFLAGS, "-o", join(tmp, BINARY), LOCAL_PATH_MODULE],
      LOCAL_PATH_MODULE_DIR,
      tick,
    );
    const moduleDir = (
      await runGo("go", ["list", "-m", "-f", "{{.Dir}}", LOCAL_PATH_MODULE], LOCAL_PATH_MODULE_DIR)
    ).trim();
    await cp(join(moduleDir, "deploy", MANIFEST), join(tmp, MANIFEST));
  });
  await rename(tmp, target);
  log(`${PREFIX} built in ${formatElapsed(Date.now() - started)}`);
}
