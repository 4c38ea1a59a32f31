/** `user@host:path`, git's scp-like ssh syntax. */
const SCP_LIKE = /^(?:[^@/]+@)?([^/:]+):(?!\/\/)/;

/**
 * Where git sends credentials for a repository URL: `https://host[:port]`, `http://host[:port]` or
 * `ssh://host:port`, lowercased; undefined for a local path or file:// URL, which takes none.
 */
export function credentialOrigin(url: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const scheme = parsed.protocol.replace(/:$/, "").toLowerCase();
    if (scheme === "http" || scheme === "https") return parsed.origin.toLowerCase();
    if (scheme === "ssh" || scheme === "git+ssh" || scheme === "ssh+git")
      return `ssh://${parsed.hostname.toLowerCase()}:${parsed.port || "22"}`;
    return undefined;
  }
  const scp = SCP_LIKE.exec(url);
  if (scp && !url.startsWith("/") && !url.startsWith("."))
    return `ssh://${(scp[1] as string).toLowerCase()}:22`;
  return undefined;
}
