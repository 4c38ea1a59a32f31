import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clientFromKubeConfig, statusCode } from "./client.ts";
import { Informer } from "./informer.ts";

interface Resource {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

/** An API server on loopback that refuses lists until told to answer them; watches stay open and quiet. */
async function apiServer(): Promise<{ server: Server; url: string; answer: () => void }> {
  let answering = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (!answering) {
      res.writeHead(403, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", code: 403, message: "no" }));
    } else if (url.searchParams.get("watch") === "true") {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ metadata: { resourceVersion: "1" }, items: [] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    answer: () => {
      answering = true;
    },
  };
}

function informerOf(url: string): Informer<Resource> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "loopback", server: url, skipTLSVerify: true }],
    users: [{ name: "someone", token: "t" }],
    contexts: [{ name: "loopback", cluster: "loopback", user: "someone" }],
    currentContext: "loopback",
  });
  return new Informer<Resource>(
    clientFromKubeConfig(kc, "loopback"),
    { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
    { backoff: { baseMs: 20, maxMs: 50 } },
  );
}

describe("an informer's last error", () => {
  let server: Server | undefined;
  let informer: Informer<Resource> | undefined;

  afterEach(async () => {
    informer?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("tells why the first list has not worked, and is gone once a list works", async () => {
    const api = await apiServer();
    server = api.server;
    informer = informerOf(api.url);
    expect(informer.lastError).toBeUndefined();
    let synced = false;
    const started = informer.start().then(() => {
      synced = true;
    });
    await vi.waitFor(() => expect(statusCode(informer?.lastError)).toBe(403), { timeout: 5_000 });
    expect(synced).toBe(false);

    api.answer();
    await started;
    expect(informer.hasSynced()).toBe(true);
    expect(informer.lastError).toBeUndefined();
  });
});
