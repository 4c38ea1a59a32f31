import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import { startTailnet, startTailnetNode, type Tailnet, type TailnetNode } from "../devcluster/tailnet.ts";
import { TAILSCALE_MODULE_DIR } from "../devcluster/tailscale.ts";
import { TAILSCALE_VERSION } from "../devcluster/versions.ts";
import { getThroughSocks, tailscaledsIn } from "./support/tailnet.ts";

describe("the local tailnet", { timeout: 180_000 }, () => {
  let dir: string;
  let tailnet: Tailnet;
  let a: TailnetNode;
  let b: TailnetNode;
  let http: Server;
  let httpPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tailnet-"));
    tailnet = await startTailnet({ dir: join(dir, "control") });
    [a, b] = await Promise.all([
      startTailnetNode({ tailnet, dir: join(dir, "a"), hostname: "node-a", authKey: tailnet.authKey }),
      startTailnetNode({
        tailnet,
        dir: join(dir, "b"),
        hostname: "node-b",
        authKey: tailnet.authKey,
        socks5: true,
      }),
    ]);
    http = createServer((_req, res) => res.end("hello from node-a"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    httpPort = (http.address() as { port: number }).port;
  }, 1_800_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await tailnet?.stop();
    http?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("names nodes in its MagicDNS domain", () => {
    expect(a.fqdn).toBe(`node-a.${tailnet.domain}`);
    expect(b.socks5Url).toMatch(/^socks5:\/\/127\.0\.0\.1:\d+$/);
  });

  it("reaches a port a node serves through another node's SOCKS5 proxy, by MagicDNS name", async () => {
    await a.serveTcp(8443, httpPort);
    const body = await waitFor(
      "node-b to reach node-a:8443",
      async () => {
        const reply = await getThroughSocks(b.socks5Url ?? "", a.fqdn, 8443);
        return reply.includes("hello from node-a") ? reply : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(body).toMatch(/^HTTP\/1\.1 200/);
  });

  it("refuses a wrong key clearly and leaves no process behind", async () => {
    const nodeDir = join(dir, "intruder");
    await expect(
      startTailnetNode({ tailnet, dir: nodeDir, hostname: "intruder", authKey: "tskey-auth-wrong" }),
    ).rejects.toThrow(/tailscale up for intruder failed: .*invalid authkey/);
    expect(await tailscaledsIn(nodeDir)).toEqual([]);
  });

  it("forgets a node that logs out: the others no longer list it", async () => {
    const c = await startTailnetNode({
      tailnet,
      dir: join(dir, "c"),
      hostname: "node-c",
      authKey: tailnet.authKey,
    });
    try {
      const peerNames = async () => Object.values((await b.status()).Peer ?? {}).map((p) => p.HostName);
      await waitFor("node-b to see node-c", async () =>
        (await peerNames()).includes("node-c") ? true : undefined,
      );
      await c.logout();
      await waitFor("node-b to no longer list node-c", async () =>
        (await peerNames()).includes("node-c") ? undefined : true,
      );
      expect(await peerNames()).toContain("node-a");
    } finally {
      await c.stop();
    }
  });
});

describe("the Tailscale wrapper module", () => {
  it("requires the version versions.ts names", async () => {
    const goMod = await readFile(join(TAILSCALE_MODULE_DIR, "go.mod"), "utf8");
    expect(goMod).toMatch(new RegExp(`^require tailscale\\.com ${TAILSCALE_VERSION}$`, "m"));
  });
});
