import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { ensureDebianPackages, GITEA_BUILD } from "./debian.ts";
import { GITEA_MODULE, GITEA_MODULE_DIR } from "./gitea-gomod.ts";
import { buildOnce, formatElapsed, type Log, moduleCacheKey, runGo, step } from "./go-build.ts";
import { cacheRoot } from "./paths.ts";
import { GITEA_VERSION } from "./versions.ts";

export interface GiteaBinary {
  version: string;
  binary: string;
  /**
   * Gitea's module in Go's module cache: its templates and options are read from there at run time
   * (STATIC_ROOT_PATH); the compiled web assets are not in the module, so pages render unstyled.
   */
  staticRoot: string;
}

const PREFIX = "[gitea]";
const TAGS = "sqlite sqlite_unlock_notify";
// As Gitea's Makefile stamps a release, so that /api/v1/version names it.
const LDFLAGS = `-s -w -X main.Version=${GITEA_VERSION.replace(/^v/, "")} -X 'main.Tags=${TAGS}'`;

/** Gitea built from its Go module into the cache on first use (under a lock, with progress on `log`). */
export async function ensureGitea(log: Log = (l) => process.stderr.write(`${l}\n`)): Promise<GiteaBinary> {
  const dir = await buildOnce({
    root: join(cacheRoot(), "gitea"),
    key: await moduleCacheKey("gitea", GITEA_VERSION, GITEA_MODULE_DIR, [LDFLAGS]),
    marker: "gitea",
    log,
    prefix: PREFIX,
    build: (target) => build(target, log),
  });
  const staticRoot = (
    await runGo("go", ["list", "-m", "-f", "{{.Dir}}", GITEA_MODULE], GITEA_MODULE_DIR)
  ).trim();
  return { version: GITEA_VERSION, binary: join(dir, "gitea"), staticRoot };
}

async function build(target: string, log: Log): Promise<void> {
  const tmp = `${target}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const started = Date.now();
  log(
    `${PREFIX} building ${GITEA_VERSION} from ${GITEA_MODULE_DIR} into ${target} (a cold build takes minutes)`,
  );
  await step(log, PREFIX, 1, 3, "a C compiler for SQLite", () => ensureDebianPackages(GITEA_BUILD, log));
  await step(log, PREFIX, 2, 3, "downloading Go modules", async () => {
    await runGo("go", ["mod", "download"], GITEA_MODULE_DIR);
  });
  await step(log, PREFIX, 3, 3, "building gitea", async (tick) => {
    await runGo(
      "go",
      [
        "build",
        "-v",
        "-trimpath",
        "-tags",
        TAGS,
        "-ldflags",
        LDFLAGS,
        "-o",
        join(tmp, "gitea"),
        GITEA_MODULE,
      ],
      GITEA_MODULE_DIR,
      tick,
      { CGO_ENABLED: "1" },
    );
  });
  await rename(tmp, target);
  log(`${PREFIX} built in ${formatElapsed(Date.now() - started)}`);
}
