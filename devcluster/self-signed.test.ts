import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureDevCertificate } from "./self-signed.ts";

describe("ensureDevCertificate", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("makes a pair for 127.0.0.1 on first run and keeps it for the next", async () => {
    dir = await mkdtemp(join(tmpdir(), "agentyard-devcert-"));
    const files = await ensureDevCertificate(join(dir, "tls"));
    const cert = new X509Certificate(await readFile(files.certFile));
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkPrivateKey(createPrivateKey(await readFile(files.keyFile)))).toBe(true);
    await ensureDevCertificate(join(dir, "tls"));
    expect(new X509Certificate(await readFile(files.certFile)).fingerprint256).toBe(cert.fingerprint256);
  });
});
