import { readdir, readFile } from "node:fs/promises";
import { SocksClient } from "socks";

/**
 * An HTTP GET of `path` through a SOCKS5 proxy to host:port, by name: the proxy resolves it (a
 * tailnet node's proxy, by MagicDNS). The answer as received, head and body.
 */
export async function getThroughSocks(
  socks5Url: string,
  host: string,
  port: number,
  path = "/",
): Promise<string> {
  const proxy = new URL(socks5Url);
  const { socket } = await SocksClient.createConnection({
    proxy: { host: proxy.hostname, port: Number(proxy.port), type: 5 },
    command: "connect",
    destination: { host, port },
    timeout: 10_000,
  });
  return new Promise((resolve, reject) => {
    let data = "";
    socket.on("data", (d: Buffer) => {
      data += d;
    });
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
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
