import { execFile } from "node:child_process";
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
