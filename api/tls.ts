import { type Stats, unwatchFile, watchFile } from "node:fs";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import type { Logger } from "@agentyard/kube-runtime";

/** The serving certificate and its key, as PEM files (a kubernetes.io/tls Secret mounted, for one). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads the pair, and checks that the key is the certificate's before anything serves it. */
export async function readTlsPair(files: TlsFiles): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(files.certFile), readFile(files.keyFile)]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(
      `--tls-cert ${files.certFile} and --tls-key ${files.keyFile} are not a usable pair: ${(err as Error).message}`,
    );
  }
  return { cert, key };
}

/** How often the files are looked at: cert-manager renews days ahead, a Secret's mount updates within a minute. */
const POLL_MS = 1_000;

/**
 * Calls `use` with the pair again whenever either file changes, so a renewed certificate is served
 * without a restart. Polling follows the symlinks a mounted Secret swaps on update, which file
 * events on the paths would miss. A half-written or mismatched pair is logged and skipped: the
 * server keeps the last good one until both files agree. Returns a function that stops watching.
 */
export function watchTlsPair(files: TlsFiles, use: (pair: TlsPair) => void, log: Logger): () => void {
  let reading = Promise.resolve();
  const reload = () => {
    reading = reading.then(async () => {
      try {
        use(await readTlsPair(files));
        log.info({ cert: files.certFile }, "serving the TLS certificate anew");
      } catch (err) {
        log.warn(
          { error: (err as Error).message },
          "TLS files changed but are not a usable pair yet; keeping the served one",
        );
      }
    });
  };
  const onChange = (now: Stats, before: Stats) => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size) reload();
  };
  const watched = [files.certFile, files.keyFile];
  for (const file of watched) watchFile(file, { interval: POLL_MS, persistent: false }, onChange);
  return () => {
    for (const file of watched) unwatchFile(file, onChange);
  };
}
