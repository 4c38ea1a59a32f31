import { stringify } from "yaml";

export interface KubeconfigParams {
  name: string;
  server: string;
  ca: string;
  user: string;
  token: string;
}

/** A kubeconfig with one cluster, one user (bearer token) and one current context. */
export function kubeconfigYaml({ name, server, ca, user, token }: KubeconfigParams): string {
  const context = user === "admin" ? name : `${user}@${name}`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name, cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") } },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: context, context: { cluster: name, user } }],
    "current-context": context,
  });
}
