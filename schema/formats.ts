import { z } from "zod";
import { celString, withRules } from "./extensions.ts";

/**
 * String formats shared by the resources. Each is checked by a CEL `matches()` rule rather than an
 * OpenAPI `pattern`, so that the API server answers with a message saying what to write instead of
 * a regular expression. The expressions stay within RE2, which the API server uses.
 */

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
const TAILSCALE_TAG = /^tag:[A-Za-z][A-Za-z0-9-]*$/;
const HOSTNAME_PATTERN = /^([a-z0-9-]|\{org\}|\{task\})+$/;
const GIT_BRANCH = /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/;

const HOST = "[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?";
const PORT = "(:[0-9]{1,5})?";
/** https://, http://, ssh://, scp-like user@host:path, and file:// for bare repositories on disk. No passwords or tokens. */
const REPO_URL = new RegExp(
  `^((https?://${HOST}${PORT}|ssh://([A-Za-z0-9._-]+@)?${HOST}${PORT})/\\S+|[A-Za-z0-9._-]+@${HOST}:\\S+|file:///\\S+)$`,
);

export function dnsLabel(): z.ZodString {
  return matching(
    DNS_LABEL,
    63,
    "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (e.g. team-a)",
  );
}

export function dnsSubdomain(): z.ZodString {
  return matching(
    DNS_SUBDOMAIN,
    253,
    "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. git-credentials)",
  );
}

export function secretKey(): z.ZodString {
  return matching(
    SECRET_KEY,
    253,
    "must be a Secret data key: letters, digits, '-', '_' and '.' (e.g. value)",
  );
}

export function envName(): z.ZodString {
  return matching(
    ENV_NAME,
    256,
    "must be an environment variable name: letters, digits and '_', not starting with a digit (e.g. GIT_AUTHOR_NAME)",
  );
}

export function image(): z.ZodString {
  return matching(
    IMAGE,
    512,
    "must be a container image reference without spaces, such as ghcr.io/acme/agent:1.4 or ghcr.io/acme/agent@sha256:...",
  );
}

export function tailscaleTag(): z.ZodString {
  return matching(
    TAILSCALE_TAG,
    64,
    "must be a Tailscale tag: 'tag:' then a letter, letters, digits and '-' (e.g. tag:agents)",
  );
}

export function repoUrl(): z.ZodString {
  return matching(
    REPO_URL,
    2048,
    "must be a git URL: https://host/path, ssh://[user@]host/path, user@host:path or file:///path; credentials belong in the Org's spec.git.credentialsSecretRef, never in the URL",
  );
}

/** Placeholders {org} and {task} expand to the names; {task} keeps the hostnames of an Org's tasks apart. */
export function hostnamePattern(): z.ZodString {
  return withRules(
    matching(
      HOSTNAME_PATTERN,
      63,
      "must be lowercase letters, digits, '-' and the placeholders {org} and {task} (e.g. {org}-{task})",
    ),
    {
      rule: "self.contains('{task}')",
      message: "must contain {task}, or every task of the Org would get the same hostname",
      check: (value) => value.includes("{task}"),
    },
  );
}

/** The subset of git-check-ref-format(1) that a branch name written by a person can break. */
export function gitBranch(): z.ZodString {
  return withRules(boundedString(255), {
    rule: `self.matches(${celString(GIT_BRANCH.source)}) && !self.contains('..') && !self.contains('//') && !self.endsWith('/') && !self.endsWith('.') && !self.endsWith('.lock')`,
    message:
      "must be a git branch name: letters, digits, '.', '_', '-' and '/', not starting with '-', '.' or '/', without '..' or '//', not ending in '/', '.' or '.lock' (e.g. main)",
    check: (value) =>
      GIT_BRANCH.test(value) &&
      !value.includes("..") &&
      !value.includes("//") &&
      !value.endsWith("/") &&
      !value.endsWith(".") &&
      !value.endsWith(".lock"),
  });
}

/** Characters as Kubernetes and zod count them (maxLength, CEL's `size()`): code points, not UTF-16 units. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/**
 * Text with a length cap, which CEL cost estimation and etcd's object size limit both need. zod's
 * max() counts code points, as the API server's maxLength and CEL's size() do (not UTF-16 units).
 */
export function boundedString(maxLength: number): z.ZodString {
  return z.string({ error: presence("a string") }).max(maxLength, `must be at most ${maxLength} characters`);
}

/** A missing value gets the API server's own words, "Required value", so both answers read the same. */
export function presence(expected: string) {
  return (issue: { code?: string; input?: unknown }) => {
    if (issue.code !== "invalid_type") return undefined;
    return issue.input === undefined ? "Required value" : `must be ${expected}`;
  };
}

export function matching(pattern: RegExp, maxLength: number, message: string): z.ZodString {
  return withRules(boundedString(maxLength), {
    rule: `self.matches(${celString(pattern.source)})`,
    message,
    check: (value) => pattern.test(value),
  });
}
