import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SocksClient } from "socks";
import { startTailnet, startTailnetNode, type Tailnet, type TailnetNode } from "../../devcluster/tailnet.ts";

/**
 * The local tailnet in `dir`, and a node "laptop" on it whose SOCKS5 proxy reaches the others by
 * MagicDNS name. On first use this waits for tailscale's build from its Go module: minutes.
 */
export async function startTailnetWithLaptop(
  dir: string,
): Promise<{ tailnet: Tailnet; laptop: TailnetNode }> {
  const tailnet = await startTailnet({ dir: join(dir, "control") });
  const laptop = await startTailnetNode({
    tailnet,
    dir: join(dir, "laptop"),
    hostname: "laptop",
    authKey: tailnet.authKey,
    socks5: true,
  }).catch(async (err) => {
    await tailnet.stop();
    throw err;
  });
  return { tailnet, laptop };
}

/**
 * An HTTP request to host:port through a SOCKS5 proxy, by name: the proxy resolves it (a tailnet
 * node's proxy, by MagicDNS). The answer as received, head and body.
 */
export async function requestThroughSocks(
  socks5Url: string,
  host: string,
  port: number,
  request: { method?: string; path?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<string> {
  const proxy = new URL(socks5Url);
  const { socket } = await SocksClient.createConnection({
    proxy: { host: proxy.hostname, port: Number(proxy.port), type: 5 },
    command: "connect",
    destination: { host, port },
    timeout: 10_000,
  });
  const headers = {
    Host: `${host}:${port}`,
    Connection: "close",
    ...(request.body !== undefined ? { "Content-Length": String(Buffer.byteLength(request.body)) } : {}),
    ...request.headers,
  };
  return new Promise((resolve, reject) => {
    let data = "";
    socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer from ${host}:${port} in 30 s`)));
    socket.on("data", (d: Buffer) => {
      data += d;
    });
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    socket.write(
      `${request.method ?? "GET"} ${request.path ?? "/"} HTTP/1.1\r\n${head}\r\n${request.body ?? ""}`,
    );
  });
}

/** An HTTP GET of `path` through a SOCKS5 proxy, by name (see requestThroughSocks). */
export function getThroughSocks(socks5Url: string, host: string, port: number, path = "/"): Promise<string> {
  return requestThroughSocks(socks5Url, host, port, { path });
}

/** tailscaled processes whose command line names `dir`: what a stopped node must leave none of. */
export async function tailscaledsIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes("tailscaled") && cmdline.includes(dir)) found.push(pid);
  }
  return found;
}
