import { parse } from "yaml";

/**
 * An Org's kubeconfig comes from a Secret that the Org's admins control. Fields that make a client
 * run a program (exec, auth-provider) or read the operator's own files (paths) would hand them the
 * operator's process and disk, so only inline credentials are accepted.
 */
const FILE_FIELDS = {
  cluster: ["certificate-authority"],
  user: ["client-certificate", "client-key", "tokenFile"],
} as const;

export class KubeconfigRefused extends Error {
  override readonly name = "KubeconfigRefused";
}

interface Named<T> {
  name?: string;
  cluster?: T;
  user?: T;
}

/** Parses and checks a kubeconfig; throws KubeconfigRefused with a message naming the offending entry. */
export function checkKubeconfig(text: string): void {
  let doc: {
    clusters?: Named<Record<string, unknown>>[];
    users?: Named<Record<string, unknown>>[];
    contexts?: unknown[];
    "current-context"?: string;
  };
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeconfigRefused(`the kubeconfig is not valid YAML: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
    throw new KubeconfigRefused("the kubeconfig names no cluster");
  }
  for (const entry of doc.clusters) {
    for (const field of FILE_FIELDS.cluster) {
      if (entry.cluster?.[field] !== undefined) {
        throw new KubeconfigRefused(
          `cluster "${entry.name}" reads ${field} from a file; put the data inline (${field}-data)`,
        );
      }
    }
    const server = entry.cluster?.server;
    if (typeof server !== "string" || !/^https?:\/\//.test(server)) {
      throw new KubeconfigRefused(`cluster "${entry.name}" has no http(s) server URL`);
    }
  }
  for (const entry of doc.users ?? []) {
    const user = entry.user ?? {};
    if (user.exec !== undefined) {
      throw new KubeconfigRefused(
        `user "${entry.name}" uses an exec credential plugin, which would run a program in the operator; use a token or client certificate data`,
      );
    }
    if (user["auth-provider"] !== undefined) {
      throw new KubeconfigRefused(
        `user "${entry.name}" uses an auth-provider plugin; use a token or client certificate data`,
      );
    }
    for (const field of FILE_FIELDS.user) {
      if (user[field] !== undefined) {
        throw new KubeconfigRefused(
          `user "${entry.name}" reads ${field} from a file; put the credentials inline`,
        );
      }
    }
  }
}
