import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { checkKubeconfig } from "./kubeconfig-policy.ts";

const kubeconfig = (cluster: Record<string, unknown>, user: Record<string, unknown>) =>
  stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", ...cluster } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
  });

describe("checkKubeconfig", () => {
  it("accepts inline credentials, as Cluster API writes them", () => {
    expect(() =>
      checkKubeconfig(
        kubeconfig(
          { "certificate-authority-data": "Y2E=" },
          { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" },
        ),
      ),
    ).not.toThrow();
    expect(() => checkKubeconfig(kubeconfig({}, { token: "abc" }))).not.toThrow();
  });

  it.each([
    [
      {},
      { exec: { command: "aws", apiVersion: "client.authentication.k8s.io/v1" } },
      /exec credential plugin/,
    ],
    [{}, { "auth-provider": { name: "gcp" } }, /auth-provider/],
    [{}, { tokenFile: "/var/run/secrets/token" }, /reads tokenFile from a file/],
    [{}, { "client-key": "/etc/key.pem" }, /reads client-key from a file/],
    [{ "certificate-authority": "/etc/ca.crt" }, { token: "t" }, /reads certificate-authority from a file/],
    [{ server: "unix:///socket" }, { token: "t" }, /no http\(s\) server URL/],
  ])("refuses %j %j", (cluster, user, message) => {
    expect(() => checkKubeconfig(kubeconfig(cluster, user))).toThrow(message);
  });

  it("refuses what is not a kubeconfig", () => {
    expect(() => checkKubeconfig("{")).toThrow(/not valid YAML/);
    expect(() => checkKubeconfig("hello: world")).toThrow(/names no cluster/);
  });
});
