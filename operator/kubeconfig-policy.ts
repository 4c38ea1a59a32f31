import { KubeConfig } from "@kubernetes/client-node";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";

/**
 * An Org's kubeconfig comes from a Secret, and whoever can write that Secret must not steer the
 * operator: a kubeconfig can make a client run programs (exec, auth-provider), read the operator's
 * own files and send them as credentials (token-file, client-key, ...), or go through a proxy or
 * skip certificate checks. So the Secret's text is checked here against an allow-list, and the
 * client is built from what was checked, never from the text: @kubernetes/client-node never sees a
 * key that is not on the list. Messages name keys and places, never the Secret's content.
 */
export class KubeconfigRefused extends Error {
  override readonly name = "KubeconfigRefused";
}

/** The one cluster, user and context a checked kubeconfig holds. */
export interface CheckedKubeconfig {
  cluster: { name: string; server: string; caData: string; tlsServerName?: string };
  user: { name: string; token: string } | { name: string; certData: string; keyData: string };
  context: string;
}

const READS_FILE = "it makes the operator read a file of its own";
const IMPERSONATES = "the operator does not impersonate for a kubeconfig";
const BASIC_AUTH =
  "basic authentication is not accepted; use token, or client-certificate-data and client-key-data";

/** Keys client-go or @kubernetes/client-node honour that are refused, and why. */
const REFUSED: Record<string, string> = {
  exec: "an exec credential plugin would run a program in the operator; use token, or client-certificate-data and client-key-data",
  "auth-provider":
    "auth-provider plugins run code and read files in the operator; use token, or client-certificate-data and client-key-data",
  "token-file": `${READS_FILE} and send it as a bearer token; put the token inline (token)`,
  tokenFile: `${READS_FILE} and send it as a bearer token; put the token inline (token)`,
  "client-certificate": `${READS_FILE}; put the certificate inline (client-certificate-data)`,
  "client-key": `${READS_FILE}; put the key inline (client-key-data)`,
  "certificate-authority": `${READS_FILE}; put the CA inline (certificate-authority-data)`,
  username: BASIC_AUTH,
  password: BASIC_AUTH,
  as: IMPERSONATES,
  "as-uid": IMPERSONATES,
  "as-groups": IMPERSONATES,
  "as-user-extra": IMPERSONATES,
  "proxy-url": "the operator connects to the server itself, never through a proxy a kubeconfig names",
  "insecure-skip-tls-verify":
    "the server's certificate is always verified against certificate-authority-data",
  extensions: "extensions are not accepted",
};

interface Place {
  allowed: readonly string[];
  /** What may be written here, for the message about anything else. */
  takes: string;
}

const TOP: Place = {
  allowed: ["apiVersion", "kind", "clusters", "users", "contexts", "current-context", "preferences"],
  takes:
    "a kubeconfig holds only apiVersion, kind, clusters, users, contexts, current-context and an empty preferences",
};
const CLUSTER_ENTRY: Place = {
  allowed: ["name", "cluster"],
  takes: "an entry of clusters takes only name and cluster",
};
const USER_ENTRY: Place = { allowed: ["name", "user"], takes: "an entry of users takes only name and user" };
const CONTEXT_ENTRY: Place = {
  allowed: ["name", "context"],
  takes: "an entry of contexts takes only name and context",
};
const CLUSTER: Place = {
  allowed: ["server", "certificate-authority-data", "tls-server-name"],
  takes: "a cluster takes only server, certificate-authority-data and tls-server-name",
};
const USER: Place = {
  allowed: ["token", "client-certificate-data", "client-key-data"],
  takes: "a user takes only token, or client-certificate-data and client-key-data",
};
const CONTEXT: Place = {
  allowed: ["cluster", "user", "namespace"],
  takes: "a context takes only cluster, user and namespace",
};
const PREFERENCES: Place = { allowed: [], takes: "preferences must be empty" };

/**
 * Every key of the kubeconfig format (client-go's and client-node's): these may be named in a
 * message. Any other key might be a misplaced secret, so it is pointed at by line and column instead.
 */
const VOCABULARY = new Set([
  ...Object.keys(REFUSED),
  ...[TOP, CLUSTER_ENTRY, USER_ENTRY, CONTEXT_ENTRY, CLUSTER, USER, CONTEXT].flatMap((p) => p.allowed),
  "disable-compression",
  "colors",
]);

/** Reads a parsed document; every refusal says where, in the document's own terms. */
class Reader {
  private readonly lines: LineCounter;

  constructor(lines: LineCounter) {
    this.lines = lines;
  }

  refuse(message: string): never {
    throw new KubeconfigRefused(message);
  }

  where(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `line ${line}, column ${col}`;
  }

  /** The mapping at `path`, with every key checked against the place's allow-list. */
  mapping(node: Node | null | undefined, path: string, place: Place): Map<string, Node | null> {
    if (!isMap(node)) this.refuse(`${path} must be a mapping`);
    const entries = new Map<string, Node | null>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const at = key?.range?.[0] ?? node.range?.[0] ?? 0;
      if (!isScalar(key) || typeof key.value !== "string") {
        this.refuse(`${path} has a key at ${this.where(at)} that is not a string`);
      }
      const name = key.value;
      if (!place.allowed.includes(name)) {
        if (!VOCABULARY.has(name)) {
          this.refuse(`${path} has a key at ${this.where(at)} that is not allowed: ${place.takes}`);
        }
        this.refuse(`${join(path, name)} is not allowed: ${REFUSED[name] ?? place.takes}`);
      }
      entries.set(name, (pair.value as Node | null) ?? null);
    }
    return entries;
  }

  /**
   * The one entry of a named list (`clusters` of `cluster`s, ...): its name and what it holds, each
   * checked against its place's allow-list.
   */
  entry(
    top: Map<string, Node | null>,
    list: string,
    item: string,
    places: { entry: Place; body: Place },
  ): { name: string; body: Map<string, Node | null> } {
    const entry = this.mapping(this.single(top.get(list), list, item), `${list}[0]`, places.entry);
    return {
      name: this.required(entry.get("name"), `${list}[0].name`),
      body: this.mapping(entry.get(item), `${list}[0].${item}`, places.body),
    };
  }

  /** The one item of the list at `path`. */
  single(node: Node | null | undefined, path: string, what: string): Node | null {
    if (node === undefined) this.refuse(`${path} is required: a kubeconfig here names exactly one ${what}`);
    if (!isSeq(node)) this.refuse(`${path} must be a list`);
    if (node.items.length !== 1) {
      this.refuse(`${path} lists ${node.items.length} entries; exactly one ${what} is accepted`);
    }
    return (node.items[0] as Node | null) ?? null;
  }

  string(node: Node | null | undefined, path: string): string | undefined {
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== "string") this.refuse(`${path} must be a string`);
    if (node.value === "") this.refuse(`${path} must not be empty`);
    return node.value;
  }

  required(node: Node | null | undefined, path: string): string {
    const value = this.string(node, path);
    if (value === undefined) this.refuse(`${path} is required`);
    return value;
  }

  /** Inline PEM data, base64-encoded as kubeconfigs carry it. */
  pem(node: Node | null | undefined, path: string, label: RegExp, what: string): string | undefined {
    const value = this.string(node, path)?.replace(/\s+/g, "");
    if (value === undefined) return undefined;
    if (
      !/^[A-Za-z0-9+/]+={0,2}$/.test(value) ||
      !label.test(Buffer.from(value, "base64").toString("latin1"))
    ) {
      this.refuse(`${path} must be base64 of ${what}`);
    }
    return value;
  }
}

/** The kubeconfig itself, in messages; its own keys are named without a prefix. */
const DOCUMENT = "the kubeconfig";

function join(path: string, key: string): string {
  return path === DOCUMENT ? key : `${path}.${key}`;
}

/** A YAML error code such as BAD_INDENT, as words. The parser's message may quote the text. */
function words(code: string): string {
  return code.toLowerCase().replaceAll("_", " ");
}

/**
 * Parses and checks a kubeconfig; throws KubeconfigRefused naming the first key or value that is
 * not allowed and where it is.
 */
export function checkKubeconfig(text: string): CheckedKubeconfig {
  const lines = new LineCounter();
  // No merge keys and no duplicate keys: every value the client gets was read, and checked, once.
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: false,
    version: "1.2",
  });
  const read: Reader = new Reader(lines);
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    read.refuse(`the kubeconfig is not valid YAML: ${words(problem.code)} at ${read.where(problem.pos[0])}`);
  }
  visit(doc, {
    Alias(_, node) {
      read.refuse(
        `the kubeconfig uses an alias at ${read.where(node.range?.[0] ?? 0)}; write it out in full`,
      );
    },
  });
  if (doc.contents === null) read.refuse("the kubeconfig is empty");

  const top = read.mapping(doc.contents, DOCUMENT, TOP);
  const apiVersion = read.string(top.get("apiVersion"), "apiVersion");
  if (apiVersion !== undefined && apiVersion !== "v1") read.refuse("apiVersion must be v1");
  const kind = read.string(top.get("kind"), "kind");
  if (kind !== undefined && kind !== "Config") read.refuse("kind must be Config");
  const preferences = top.get("preferences");
  if (preferences && !(isScalar(preferences) && preferences.value === null)) {
    read.mapping(preferences, "preferences", PREFERENCES);
  }

  const { name: clusterName, body: cluster } = read.entry(top, "clusters", "cluster", {
    entry: CLUSTER_ENTRY,
    body: CLUSTER,
  });
  const server = checkServer(read, read.required(cluster.get("server"), "clusters[0].cluster.server"));
  const caData = read.pem(
    cluster.get("certificate-authority-data"),
    "clusters[0].cluster.certificate-authority-data",
    /-----BEGIN CERTIFICATE-----/,
    "PEM certificates",
  );
  if (caData === undefined) {
    read.refuse(
      "clusters[0].cluster.certificate-authority-data is required: the operator verifies the server's certificate against it",
    );
  }
  const tlsServerName = read.string(cluster.get("tls-server-name"), "clusters[0].cluster.tls-server-name");

  const { name: userName, body: user } = read.entry(top, "users", "user", { entry: USER_ENTRY, body: USER });
  const token = read.string(user.get("token"), "users[0].user.token");
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
    read.refuse("users[0].user.token must be one line of printable ASCII characters");
  }
  const certData = read.pem(
    user.get("client-certificate-data"),
    "users[0].user.client-certificate-data",
    /-----BEGIN CERTIFICATE-----/,
    "a PEM certificate",
  );
  const keyData = read.pem(
    user.get("client-key-data"),
    "users[0].user.client-key-data",
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    "a PEM private key",
  );
  if (token !== undefined && (certData !== undefined || keyData !== undefined)) {
    read.refuse("users[0].user has both a token and a client certificate; give one of them");
  }
  if ((certData === undefined) !== (keyData === undefined)) {
    read.refuse("users[0].user needs both client-certificate-data and client-key-data");
  }
  if (token === undefined && certData === undefined) {
    read.refuse(
      "users[0].user has no credentials: give token, or client-certificate-data and client-key-data",
    );
  }

  const { name: contextName, body: context } = read.entry(top, "contexts", "context", {
    entry: CONTEXT_ENTRY,
    body: CONTEXT,
  });
  if (read.required(context.get("cluster"), "contexts[0].context.cluster") !== clusterName) {
    read.refuse("contexts[0].context.cluster does not name clusters[0]");
  }
  if (read.required(context.get("user"), "contexts[0].context.user") !== userName) {
    read.refuse("contexts[0].context.user does not name users[0]");
  }
  // The operator names the namespace of everything it touches, so a default namespace changes nothing.
  read.string(context.get("namespace"), "contexts[0].context.namespace");
  const current = read.string(top.get("current-context"), "current-context");
  if (current !== undefined && current !== contextName)
    read.refuse("current-context does not name contexts[0]");

  return {
    cluster: { name: clusterName, server, caData, ...(tlsServerName ? { tlsServerName } : {}) },
    user:
      token !== undefined
        ? { name: userName, token }
        : { name: userName, certData: certData as string, keyData: keyData as string },
    context: contextName,
  };
}

function checkServer(read: Reader, server: string): string {
  const path = "clusters[0].cluster.server";
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return read.refuse(`${path} must be an https:// URL`);
  }
  if (url.protocol !== "https:") read.refuse(`${path} must be an https:// URL`);
  if (url.username || url.password || /[?#]/.test(server)) {
    read.refuse(`${path} must not carry a user, password, query or fragment`);
  }
  return server.replace(/\/$/, "");
}

/** The client configuration of a checked kubeconfig: only what was checked, nothing read from the text. */
export function kubeConfigOf(checked: CheckedKubeconfig): KubeConfig {
  const { cluster, user, context } = checked;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.server,
        caData: cluster.caData,
        skipTLSVerify: false,
        ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
      },
    ],
    users: [
      "token" in user
        ? { name: user.name, token: user.token }
        : { name: user.name, certData: user.certData, keyData: user.keyData },
    ],
    contexts: [{ name: context, cluster: cluster.name, user: user.name }],
    currentContext: context,
  });
  return kc;
}
