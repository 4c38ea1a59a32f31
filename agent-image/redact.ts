/** Secrets shorter than this are not searched for: redacting a two-letter word would garble every log. */
const MIN_SECRET_LENGTH = 4;

/** `scheme://userinfo@` in any text: credentials a remote URL may carry. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi;

/**
 * Removes credentials from text before it leaves the runtime (logs, the state ConfigMap, artifacts,
 * error messages): every URL's userinfo, and each secret value the runtime has read.
 */
export class Redactor {
  #secrets: string[] = [];

  /** Registers a secret; its URL-encoded form is registered too, as remote URLs carry it that way. */
  add(secret: string | undefined): void {
    if (!secret) return;
    for (const form of new Set([secret, secret.trim(), encodeURIComponent(secret)])) {
      if (form.length >= MIN_SECRET_LENGTH && !this.#secrets.includes(form)) this.#secrets.push(form);
    }
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text.replace(URL_USERINFO, "$1");
    for (const secret of this.#secrets) out = out.replaceAll(secret, "[redacted]");
    return out;
  }
}
