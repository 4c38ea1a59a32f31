import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Writes a self-signed EC serving certificate for one IP address, and its key, as PEM files:
 * what a loopback HTTPS endpoint of the devcluster or a test serves.
 */
export async function writeSelfSigned(options: {
  keyFile: string;
  certFile: string;
  commonName: string;
  ip: string;
  days: number;
}): Promise<void> {
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    options.keyFile,
    "-out",
    options.certFile,
    "-days",
    String(options.days),
    "-subj",
    `/CN=${options.commonName}`,
    "-addext",
    `subjectAltName=IP:${options.ip}`,
  ]);
}

/**
 * The serving pair `npm start -- --tls` uses, made on first run and kept in `dir` for the next
 * runs, so a browser told to trust it once keeps trusting it (as the MVP's dev certificates did).
 */
export async function ensureDevCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const files = { certFile: join(dir, "api.crt"), keyFile: join(dir, "api.key") };
  if (existsSync(files.certFile) && existsSync(files.keyFile)) return files;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeSelfSigned({ ...files, commonName: "agentyard-dev", ip: "127.0.0.1", days: 825 });
  return files;
}
