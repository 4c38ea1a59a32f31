import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export { bareRepo, branchCommit, gitIn } from "../../devcluster/git.ts";

export interface GitHttpServer {
  /** The URL of a repository under the server's root, e.g. `http://127.0.0.1:1234/origin.git`. */
  url(name: string): string;
  /** The Authorization headers requests carried (to prove how credentials travelled). */
  readonly authorizations: string[];
  close(): Promise<void>;
}

export interface GitHttpOptions {
  username: string;
  password: string;
  /** Called before each request is served, while the client's git processes are alive. */
  onRequest?: () => Promise<void>;
}

/**
 * git's smart HTTP protocol on 127.0.0.1: `git http-backend` run as a CGI program behind node:http,
 * refusing every request without the expected basic credentials, as a forge does for private
 * repositories. Pushes are enabled for authenticated users (REMOTE_USER).
 */
export async function gitHttpServer(root: string, options: GitHttpOptions): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;
  const authorizations: string[] = [];
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    await options.onRequest?.();
    const auth = req.headers.authorization;
    if (auth) authorizations.push(auth);
    if (auth !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end();
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: req.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ""),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_USER: options.username,
        REMOTE_ADDR: "127.0.0.1",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
      },
      stdio: ["pipe", "pipe", "inherit"],
    });
    req.pipe(cgi.stdin);
    // CGI output: headers, a blank line, then the body.
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on("close", () => res.end());
  };
  const server = createServer((req, res) => {
    serve(req, res).catch((err: Error) => res.writeHead(500).end(err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    authorizations,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ProcessInfo {
  pid: number;
  cmdline: string;
  environ: string;
}

/** Every process this user can see, with its argv and environment as /proc shows them to others. */
export async function processSnapshot(): Promise<ProcessInfo[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const out: ProcessInfo[] = [];
  for (const pid of pids) {
    const read = (file: string) =>
      readFile(`/proc/${pid}/${file}`)
        .then((b) => b.toString("utf8").replaceAll("\0", " "))
        .catch(() => "");
    out.push({ pid: Number(pid), cmdline: await read("cmdline"), environ: await read("environ") });
  }
  return out;
}
