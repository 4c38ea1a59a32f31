import { X509Certificate } from "node:crypto";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApi } from "../api/server.ts";
import { startTestApi } from "./support/api.ts";
import { kubectl, sharedCluster } from "./support/cluster.ts";
import { type Certificate, selfSignedCertificate } from "./support/tls.ts";

interface Served {
  status: number;
  body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  fingerprint: string;
}

/** One GET over a fresh connection, trusting only `ca`: the certificate is verified, never skipped. */
function httpsGet(url: string, ca: string[]): Promise<Served> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? "";
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
    });
    req.on("error", reject);
  });
}

/** Replaces a file the way a Secret's mount or cert-manager does: the new content appears whole. */
async function replace(path: string, content: string): Promise<void> {
  await writeFile(`${path}.new`, content);
  await rename(`${path}.new`, path);
}

describe("the api over HTTPS", () => {
  const cluster = sharedCluster();
  let dir: string;
  let first: Certificate;
  let second: Certificate;
  let api: RunningApi;

  beforeAll(async () => {
    [first, second] = await Promise.all([selfSignedCertificate(), selfSignedCertificate()]);
    dir = await mkdtemp(join(tmpdir(), "agentyard-api-tls-"));
    await writeFile(join(dir, "tls.crt"), first.cert);
    await writeFile(join(dir, "tls.key"), first.key);
    api = await startTestApi(cluster, kubectl, {
      tls: { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") },
    });
  });

  afterAll(async () => {
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the given certificate, which a client verifies", async () => {
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await httpsGet(`${api.url}/healthz`, [first.cert]);
    expect(answer.status).toBe(200);
    expect(answer.fingerprint).toBe(new X509Certificate(first.cert).fingerprint256);
  });

  it("serves a replaced certificate without a restart", async () => {
    const renewed = new X509Certificate(second.cert).fingerprint256;
    await replace(join(dir, "tls.key"), second.key);
    await replace(join(dir, "tls.crt"), second.cert);
    await expect
      .poll(async () => (await httpsGet(`${api.url}/healthz`, [first.cert, second.cert])).fingerprint, {
        timeout: 20_000,
        interval: 250,
      })
      .toBe(renewed);
    // Verified against the new certificate alone.
    expect((await httpsGet(`${api.url}/healthz`, [second.cert])).status).toBe(200);
  });

  it("refuses to start with a key that is not the certificate's", async () => {
    const mismatched = join(dir, "other.key");
    await writeFile(mismatched, second.key);
    await writeFile(join(dir, "first.crt"), first.cert);
    await expect(
      startTestApi(cluster, kubectl, { tls: { certFile: join(dir, "first.crt"), keyFile: mismatched } }),
    ).rejects.toThrow(/are not a usable pair/);
  });
});
