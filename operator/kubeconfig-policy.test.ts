import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { checkKubeconfig, KubeconfigRefused, kubeConfigOf } from "./kubeconfig-policy.ts";

const b64 = (text: string) => Buffer.from(text).toString("base64");
const CA = b64("-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n");
const CERT = b64("-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n");
const KEY = b64("-----BEGIN EC PRIVATE KEY-----\na2V5\n-----END EC PRIVATE KEY-----\n");

type Doc = Record<string, unknown>;
type Edit = (doc: Doc) => void;

/** A kubeconfig as Cluster API writes one (with a token user), changed by `edit`. */
function kubeconfig(edit: Edit = () => {}): string {
  const doc: Doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": CA } }],
    users: [{ name: "u", user: { token: "abc.def-ghi" } }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
    preferences: {},
  };
  edit(doc);
  return stringify(doc);
}

type Part = (doc: Doc) => Doc;
const top: Part = (d) => d;
const cluster: Part = (d) => (d.clusters as Doc[])[0]?.cluster as Doc;
const user: Part = (d) => (d.users as Doc[])[0]?.user as Doc;
const context: Part = (d) => (d.contexts as Doc[])[0]?.context as Doc;
const set =
  (part: Part, key: string, value: unknown): Edit =>
  (d) => {
    part(d)[key] = value;
  };
const drop =
  (part: Part, key: string): Edit =>
  (d) => {
    delete part(d)[key];
  };
const entry =
  (list: "clusters" | "users" | "contexts", value: Doc): Edit =>
  (d) => {
    (d[list] as Doc[])[0] = value;
  };
const another =
  (list: "clusters" | "users" | "contexts", value: Doc): Edit =>
  (d) => {
    (d[list] as Doc[]).push(value);
  };

function refusal(text: string): string {
  try {
    checkKubeconfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(KubeconfigRefused);
    return (err as Error).message;
  }
  throw new Error("the kubeconfig was accepted");
}

describe("checkKubeconfig accepts", () => {
  it("an inline token, and builds a client configuration of exactly that", () => {
    const checked = checkKubeconfig(kubeconfig());
    expect(checked).toEqual({
      cluster: { name: "c", server: "https://10.0.0.1:6443", caData: CA },
      user: { name: "u", token: "abc.def-ghi" },
      context: "x",
    });
    const kc = kubeConfigOf(checked);
    expect(kc.getCurrentCluster()).toEqual({
      name: "c",
      server: "https://10.0.0.1:6443",
      caData: CA,
      skipTLSVerify: false,
    });
    expect(kc.getCurrentUser()).toEqual({ name: "u", token: "abc.def-ghi" });
  });

  it("an inline client certificate and key, as Cluster API writes them", () => {
    const checked = checkKubeconfig(
      kubeconfig(
        entry("users", { name: "u", user: { "client-certificate-data": CERT, "client-key-data": KEY } }),
      ),
    );
    expect(checked.user).toEqual({ name: "u", certData: CERT, keyData: KEY });
    expect(kubeConfigOf(checked).getCurrentUser()).toEqual({ name: "u", certData: CERT, keyData: KEY });
  });

  it.each<[string, Edit]>([
    ["no current-context, with its one context", drop(top, "current-context")],
    [
      "no apiVersion, kind or preferences",
      (d) => {
        for (const key of ["apiVersion", "kind", "preferences"]) delete d[key];
      },
    ],
    ["preferences: null", set(top, "preferences", null)],
    ["tls-server-name", set(cluster, "tls-server-name", "kubernetes.default")],
    ["a context's namespace", set(context, "namespace", "default")],
    ["a server with a path and a trailing slash", set(cluster, "server", "https://lb.example/k8s/c-1/")],
  ])("%s", (_, edit) => {
    expect(() => checkKubeconfig(kubeconfig(edit))).not.toThrow();
  });

  it("JSON, which is YAML", () => {
    const json = JSON.stringify({
      clusters: [{ name: "c", cluster: { server: "https://10.0.0.1", "certificate-authority-data": CA } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    });
    expect(checkKubeconfig(json).cluster.server).toBe("https://10.0.0.1");
  });
});

describe("checkKubeconfig refuses every other key, naming it and where it is", () => {
  it.each<[string, Edit, string]>([
    [
      "token-file",
      set(user, "token-file", "/var/run/secrets/kubernetes.io/serviceaccount/token"),
      "users[0].user.token-file is not allowed: it makes the operator read a file of its own and send it as a bearer token",
    ],
    [
      "tokenFile",
      set(user, "tokenFile", "/var/run/secrets/token"),
      "users[0].user.tokenFile is not allowed: it makes the operator read a file of its own",
    ],
    [
      "exec",
      set(user, "exec", { command: "aws", apiVersion: "client.authentication.k8s.io/v1" }),
      "users[0].user.exec is not allowed: an exec credential plugin would run a program in the operator",
    ],
    [
      "auth-provider",
      set(user, "auth-provider", { name: "oidc", config: { "idp-issuer-url": "https://idp" } }),
      "users[0].user.auth-provider is not allowed: auth-provider plugins run code and read files",
    ],
    [
      "client-certificate",
      set(user, "client-certificate", "/etc/cert.pem"),
      "users[0].user.client-certificate is not allowed: it makes the operator read a file of its own; put the certificate inline (client-certificate-data)",
    ],
    [
      "client-key",
      set(user, "client-key", "/etc/key.pem"),
      "users[0].user.client-key is not allowed: it makes the operator read a file of its own; put the key inline (client-key-data)",
    ],
    [
      "username",
      set(user, "username", "admin"),
      "users[0].user.username is not allowed: basic authentication is not accepted",
    ],
    ["password", set(user, "password", "pw"), "users[0].user.password is not allowed: basic authentication"],
    [
      "as",
      set(user, "as", "system:admin"),
      "users[0].user.as is not allowed: the operator does not impersonate",
    ],
    [
      "as-uid",
      set(user, "as-uid", "1"),
      "users[0].user.as-uid is not allowed: the operator does not impersonate",
    ],
    ["as-groups", set(user, "as-groups", ["system:masters"]), "users[0].user.as-groups is not allowed"],
    ["as-user-extra", set(user, "as-user-extra", { a: ["b"] }), "users[0].user.as-user-extra is not allowed"],
    ["a user's extensions", set(user, "extensions", []), "users[0].user.extensions is not allowed"],
    [
      "certificate-authority",
      set(cluster, "certificate-authority", "/etc/ca.crt"),
      "clusters[0].cluster.certificate-authority is not allowed: it makes the operator read a file of its own; put the CA inline (certificate-authority-data)",
    ],
    [
      "insecure-skip-tls-verify",
      set(cluster, "insecure-skip-tls-verify", true),
      "clusters[0].cluster.insecure-skip-tls-verify is not allowed: the server's certificate is always verified",
    ],
    [
      "insecure-skip-tls-verify: false as well",
      set(cluster, "insecure-skip-tls-verify", false),
      "clusters[0].cluster.insecure-skip-tls-verify is not allowed",
    ],
    [
      "proxy-url",
      set(cluster, "proxy-url", "socks5://127.0.0.1:1080"),
      "clusters[0].cluster.proxy-url is not allowed: the operator connects to the server itself",
    ],
    [
      "disable-compression",
      set(cluster, "disable-compression", true),
      "clusters[0].cluster.disable-compression is not allowed: a cluster takes only server, certificate-authority-data and tls-server-name",
    ],
    [
      "a cluster's extensions",
      set(cluster, "extensions", []),
      "clusters[0].cluster.extensions is not allowed",
    ],
    [
      "a key of another place",
      set(cluster, "token", "t"),
      "clusters[0].cluster.token is not allowed: a cluster takes only server",
    ],
    [
      "a context's extensions",
      set(context, "extensions", []),
      "contexts[0].context.extensions is not allowed",
    ],
    [
      "top-level extensions",
      set(top, "extensions", []),
      "extensions is not allowed: extensions are not accepted",
    ],
    [
      "preferences that say something",
      set(top, "preferences", { colors: true }),
      "preferences.colors is not allowed: preferences must be empty",
    ],
    [
      "an entry's extra key",
      entry("users", { name: "u", user: { token: "t" }, exec: {} }),
      "users[0].exec is not allowed",
    ],
  ])("%s", (_, edit, message) => {
    const said = refusal(kubeconfig(edit));
    expect(said.slice(0, message.length)).toBe(message);
  });

  it("a key it does not know, by line and column, without quoting it", () => {
    const message = refusal(kubeconfig(set(cluster, "c2VjcmV0LXRva2VuLXZhbHVl", "x")));
    expect(message).toMatch(
      /^clusters\[0\]\.cluster has a key at line \d+, column \d+ that is not allowed: a cluster takes only/,
    );
    expect(message).not.toContain("c2VjcmV0");
  });
});

describe("checkKubeconfig refuses shapes other than one cluster, one user, one context", () => {
  it.each<[string, Edit, string]>([
    [
      "an http:// server",
      set(cluster, "server", "http://10.0.0.1:8080"),
      "clusters[0].cluster.server must be an https:// URL",
    ],
    [
      "a unix socket",
      set(cluster, "server", "unix:///run/k8s.sock"),
      "clusters[0].cluster.server must be an https:// URL",
    ],
    [
      "no URL at all",
      set(cluster, "server", "10.0.0.1:6443"),
      "clusters[0].cluster.server must be an https:// URL",
    ],
    [
      "a server with credentials",
      set(cluster, "server", "https://u:p@10.0.0.1"),
      "clusters[0].cluster.server must not carry a user, password, query or fragment",
    ],
    [
      "a server with a query",
      set(cluster, "server", "https://10.0.0.1/?x=1"),
      "clusters[0].cluster.server must not carry a user, password, query or fragment",
    ],
    [
      "a server with a fragment",
      set(cluster, "server", "https://10.0.0.1/#"),
      "clusters[0].cluster.server must not carry a user, password, query or fragment",
    ],
    ["no server", drop(cluster, "server"), "clusters[0].cluster.server is required"],
    [
      "no certificate-authority-data",
      drop(cluster, "certificate-authority-data"),
      "clusters[0].cluster.certificate-authority-data is required: the operator verifies the server's certificate against it",
    ],
    [
      "certificate-authority-data that is no certificate",
      set(cluster, "certificate-authority-data", b64("hello")),
      "clusters[0].cluster.certificate-authority-data must be base64 of PEM certificates",
    ],
    [
      "certificate-authority-data that is no base64",
      set(cluster, "certificate-authority-data", "-----BEGIN CERTIFICATE-----"),
      "clusters[0].cluster.certificate-authority-data must be base64 of PEM certificates",
    ],
    [
      "two clusters",
      another("clusters", { name: "d", cluster: { server: "https://10.0.0.2" } }),
      "clusters lists 2 entries; exactly one cluster is accepted",
    ],
    [
      "two users",
      another("users", { name: "v", user: { token: "t" } }),
      "users lists 2 entries; exactly one user is accepted",
    ],
    [
      "two contexts",
      another("contexts", { name: "y", context: { cluster: "c", user: "u" } }),
      "contexts lists 2 entries; exactly one context is accepted",
    ],
    ["no clusters", drop(top, "clusters"), "clusters is required"],
    ["no users", drop(top, "users"), "users is required"],
    ["no contexts", drop(top, "contexts"), "contexts is required"],
    ["clusters that is no list", set(top, "clusters", {}), "clusters must be a list"],
    ["a cluster without a name", entry("clusters", { cluster: {} }), "clusters[0].name is required"],
    [
      "a user without credentials",
      entry("users", { name: "u", user: {} }),
      "users[0].user has no credentials",
    ],
    [
      "a token and a certificate",
      (d) => {
        Object.assign(user(d), { "client-certificate-data": CERT, "client-key-data": KEY });
      },
      "users[0].user has both a token and a client certificate",
    ],
    [
      "a certificate without its key",
      entry("users", { name: "u", user: { "client-certificate-data": CERT } }),
      "users[0].user needs both client-certificate-data and client-key-data",
    ],
    [
      "a key that is no key",
      entry("users", { name: "u", user: { "client-certificate-data": CERT, "client-key-data": CERT } }),
      "users[0].user.client-key-data must be base64 of a PEM private key",
    ],
    [
      "a token on two lines",
      set(user, "token", "abc\ndef"),
      "users[0].user.token must be one line of printable ASCII",
    ],
    ["a token that is a number", set(user, "token", 12345), "users[0].user.token must be a string"],
    ["an empty token", set(user, "token", ""), "users[0].user.token must not be empty"],
    [
      "a context of another cluster",
      set(context, "cluster", "d"),
      "contexts[0].context.cluster does not name clusters[0]",
    ],
    [
      "a context of another user",
      set(context, "user", "v"),
      "contexts[0].context.user does not name users[0]",
    ],
    ["a context without a user", drop(context, "user"), "contexts[0].context.user is required"],
    [
      "a current-context that names another",
      set(top, "current-context", "y"),
      "current-context does not name contexts[0]",
    ],
    ["another apiVersion", set(top, "apiVersion", "v2"), "apiVersion must be v1"],
    ["another kind", set(top, "kind", "Pod"), "kind must be Config"],
  ])("%s", (_, edit, message) => {
    const said = refusal(kubeconfig(edit));
    expect(said.slice(0, message.length)).toBe(message);
  });
});

describe("checkKubeconfig never quotes the kubeconfig", () => {
  const MARKER = "zq-marker-7f3a";

  it.each([
    ["a flow sequence left open", `clusters: [${MARKER}`],
    ["a tab for indentation", `clusters:\n\t- name: ${MARKER}`],
    ["a duplicate key", `users: []\nusers: [${MARKER}]`],
    ["two documents", `clusters: []\n---\ntoken: ${MARKER}`],
    ["an unknown tag", `clusters: !${MARKER} x`],
  ])("when the YAML is broken: %s", (_, text) => {
    const message = refusal(text);
    expect(message).toMatch(/^the kubeconfig is not valid YAML: [a-z ]+ at line \d+, column \d+$/);
    expect(message).not.toContain(MARKER);
  });

  it("and says where the YAML breaks", () => {
    expect(refusal("apiVersion: v1\nusers: []\nusers: []\n")).toBe(
      "the kubeconfig is not valid YAML: duplicate key at line 3, column 1",
    );
  });

  it.each([
    ["an empty document", "", "the kubeconfig is empty"],
    ["a scalar", MARKER, "the kubeconfig must be a mapping"],
    [
      "a key it does not know",
      `${MARKER}: x`,
      "the kubeconfig has a key at line 1, column 1 that is not allowed",
    ],
    ["a value where a list belongs", `clusters: ${MARKER}`, "clusters must be a list"],
  ])("when the YAML is no kubeconfig: %s", (_, text, message) => {
    const said = refusal(text);
    expect(said).toContain(message);
    expect(said).not.toContain(MARKER);
  });
});

describe("checkKubeconfig reads what it checks, and nothing more", () => {
  it("refuses aliases: an alias could stand for a value checked elsewhere", () => {
    const text = kubeconfig().replace("token: abc.def-ghi", "token: &t abc.def-ghi\n      x: *t");
    expect(refusal(text)).toMatch(
      /^the kubeconfig uses an alias at line \d+, column \d+; write it out in full$/,
    );
  });

  it("never merges <<, even when the document says it is YAML 1.1", () => {
    const text = `%YAML 1.1\n---\n${kubeconfig().replace("token: abc.def-ghi", "<<: {token-file: /etc/shadow}")}`;
    expect(refusal(text)).toMatch(/^users\[0\]\.user has a key at line \d+, column \d+ that is not/);
  });
});
