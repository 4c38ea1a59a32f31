import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CODE_SERVER_VERSION } from "../schema/contract/index.ts";
import { npmEnv } from "./child-env.ts";
import { CODE_SERVER_BUILD, ensureDebianPackages } from "./debian.ts";
import { buildOnce, formatElapsed, type Log, step } from "./go-build.ts";
import { cacheRoot, projectRoot } from "./paths.ts";

/**
 * code-server for `npm start`'s local editor containers, installed from npm into the cache on first
 * use. npm publishes only some of the image's versions (4.139.0 is an image tag, npm has 4.139.1),
 * so the newest patch release of the pinned minor is installed.
 */
export const CODE_SERVER_NPM_SPEC = `~${CODE_SERVER_VERSION}`;

export interface CodeServer {
  /** The version npm installed. */
  version: string;
  dir: string;
  /** `node <entry> --bind-addr ...` runs it; the node must be `node`, below. */
  entry: string;
  /** Node 24, which code-server requires and its native modules were built for. */
  node: string;
}

const PREFIX = "[code-server]";
const MARKER = "installed.json";

/** The install in the cache, made on first use (under a lock, with progress on `log`). */
export async function ensureCodeServer(log: Log = () => {}): Promise<CodeServer> {
  const node = process.execPath;
  if (process.versions.node.split(".")[0] !== "24") {
    throw new Error(
      `code-server needs Node 24, this is ${process.version}: run with the project's node (node_modules/.bin first on PATH)`,
    );
  }
  const dir = await buildOnce({
    root: cacheRoot(),
    key: `code-server-${CODE_SERVER_VERSION}`,
    marker: MARKER,
    log,
    prefix: PREFIX,
    build: (target) => install(target, log),
  });
  const { version } = JSON.parse(await readFile(join(dir, MARKER), "utf8")) as { version: string };
  return { version, dir, entry: join(dir, "node_modules", "code-server", "out", "node", "entry.js"), node };
}

async function install(target: string, log: Log): Promise<void> {
  const started = Date.now();
  log(`${PREFIX} installing code-server ${CODE_SERVER_NPM_SPEC} into ${target} (once; a few minutes)`);
  await step(log, PREFIX, 1, 3, "C++ toolchain and Kerberos headers", () =>
    ensureDebianPackages(CODE_SERVER_BUILD, log),
  );
  let nodedir = "";
  await step(log, PREFIX, 2, 3, `Node ${process.versions.node} headers`, async () => {
    nodedir = await nodeHeaders(log);
  });
  // Built beside the target and renamed into place, so an interrupted install leaves no half of one.
  const work = await mkdtemp(`${target}.partial-`);
  try {
    await step(log, PREFIX, 3, 3, `npm install code-server@${CODE_SERVER_NPM_SPEC}`, async () => {
      await writeFile(
        join(work, "package.json"),
        JSON.stringify({
          private: true,
          dependencies: { "code-server": CODE_SERVER_NPM_SPEC },
          // npm 11 runs no dependency's install scripts unless approved; these two build native code.
          allowScripts: { "code-server": true, argon2: true },
        }),
      );
      await npm(["install", "--no-audit", "--no-fund", "--foreground-scripts"], work, nodedir);
    });
    const pkg = JSON.parse(await readFile(join(work, "node_modules", "code-server", "package.json"), "utf8"));
    await writeFile(join(work, MARKER), JSON.stringify({ version: pkg.version, nodedir }));
    await rm(target, { recursive: true, force: true });
    await rename(work, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log(`${PREFIX} code-server installed in ${formatElapsed(Date.now() - started)}`);
}

/** The version in a headers folder's node_version.h, e.g. "24.21.0". */
async function headersVersion(dir: string): Promise<string | undefined> {
  const text = await readFile(join(dir, "include", "node", "node_version.h"), "utf8").catch(() => "");
  const part = (name: string) => new RegExp(`#define NODE_${name}_VERSION (\\d+)`).exec(text)?.[1];
  const [major, minor, patch] = [part("MAJOR"), part("MINOR"), part("PATCH")];
  return major && minor && patch ? `${major}.${minor}.${patch}` : undefined;
}

/**
 * A folder with this Node's C++ headers (include/node/node.h) for node-gyp: an official tarball's
 * layout has them beside bin/; the `node` npm package's platform package has them too, but npm
 * prunes it after the install script links its binary, so it is installed into the cache again.
 */
async function nodeHeaders(log: Log): Promise<string> {
  const version = process.versions.node;
  const platformPackage = `node-${process.platform}-${process.arch}`;
  const candidates = [
    dirname(dirname(process.execPath)),
    join(projectRoot, "node_modules", "node", "node_modules", platformPackage),
  ];
  for (const dir of candidates) if ((await headersVersion(dir)) === version) return dir;
  const root = await buildOnce({
    // A root of its own: the lock library keys its locks by root, and this runs under code-server's.
    root: join(cacheRoot(), "node-headers"),
    key: `v${version}`,
    marker: join("node_modules", platformPackage, "include", "node", "node.h"),
    log,
    prefix: PREFIX,
    build: async (target) => {
      log(`${PREFIX}   npm install ${platformPackage}@${version} (it ships the headers)`);
      await mkdir(target, { recursive: true });
      await writeFile(join(target, "package.json"), JSON.stringify({ private: true }));
      await npm(["install", "--no-audit", "--no-fund", `${platformPackage}@${version}`], target, "");
    },
  });
  return join(root, "node_modules", platformPackage);
}

/**
 * npm under this Node (first on PATH, so install scripts and node-gyp run with it too), with none of
 * the calling npm's configuration: code-server's postinstall reads the Node version from npm's user
 * agent, which must be that of the npm running here, not of the one that ran `npm start`.
 */
function npm(args: string[], cwd: string, nodedir: string): Promise<void> {
  // The machine's npmrc may point node-gyp at another Node's headers; the environment wins.
  const env = npmEnv(nodedir ? { nodedir } : {});
  return run("npm", args, cwd, env, join(cwd, "npm-install.log"));
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const file = createWriteStream(logFile);
    let tail = "";
    const keep = (chunk: Buffer) => {
      file.write(chunk);
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (err) => reject(new Error(`${command} could not start: ${err.message}`)));
    child.on("close", (code) => {
      file.end();
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} (in ${cwd}) exited with ${code}:\n${tail}`));
    });
  });
}
