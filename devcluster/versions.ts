/**
 * The versions of what the devcluster builds. Changing one here changes the cache key,
 * so the next run builds anew; the wrapper Go modules in devcluster/go/ must name the same versions
 * (a test checks this).
 */
export const KUBERNETES_VERSION = "v1.36.3";
export const ETCD_VERSION = "v3.6.16";
export const KWOK_VERSION = "v0.8.0";
/** The devcluster's storage provisioner (devcluster/go/local-path-provisioner). */
export const LOCAL_PATH_PROVISIONER_VERSION = "v0.0.30";
/** The forge the pull request tests and `npm start -- --forge` run (devcluster/go/gitea). */
export const GITEA_VERSION = "v1.26.0";

/** The published staging modules carry `v0.<minor>.<patch>` for Kubernetes `v1.<minor>.<patch>`. */
export function stagingVersion(kubernetesVersion: string): string {
  const match = /^v1\.(\d+)\.(\d+)$/.exec(kubernetesVersion);
  if (!match) throw new Error(`not a Kubernetes release version: ${kubernetesVersion}`);
  return `v0.${match[1]}.${match[2]}`;
}
/** The local tailnet's tailscaled, tailscale and test control server (devcluster/go/tailscale). */
export { TAILSCALE_VERSION } from "../schema/contract/index.ts";
