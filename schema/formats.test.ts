import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  dnsLabel,
  dnsSubdomain,
  envName,
  gitBranch,
  hostnamePattern,
  image,
  repoUrl,
  tailscaleTag,
} from "./formats.ts";

const cases: [string, () => z.ZodString, string[], string[]][] = [
  [
    "dnsLabel",
    dnsLabel,
    ["a", "team-a", "0abc", "a".repeat(63)],
    ["", "Team", "a_b", "-a", "a-", "a.b", "a".repeat(64)],
  ],
  ["dnsSubdomain", dnsSubdomain, ["git-credentials", "a.b-c.d"], ["", "A.b", "a..b", ".a", "a."]],
  ["envName", envName, ["GIT_AUTHOR_NAME", "_x", "a1"], ["1A", "A-B", "A B", ""]],
  [
    "image",
    image,
    ["ghcr.io/acme/agent:1.4", "localhost:5000/agent", "agent@sha256:abc", "busybox"],
    ["", "ghcr.io/acme/agent 1.0", "-agent", "agent\n"],
  ],
  ["tailscaleTag", tailscaleTag, ["tag:agents", "tag:a-1"], ["agents", "tag:", "tag:1a", "tag:a_b"]],
  [
    "repoUrl",
    repoUrl,
    [
      "https://github.com/acme/app.git",
      "http://localhost:3000/acme/app",
      "https://git.example.com:8443/acme/app",
      "ssh://git@github.com/acme/app.git",
      "ssh://git.example.com:2222/acme/app.git",
      "git@github.com:acme/app.git",
      "file:///srv/git/app.git",
    ],
    [
      "github.com/acme/app",
      "https://token@github.com/acme/app",
      "https://user:pass@github.com/acme/app",
      "https://github.com",
      "ftp://example.com/app.git",
      "file://relative/app.git",
      "https://github.com/acme/app name",
    ],
  ],
  [
    "gitBranch",
    gitBranch,
    ["main", "feature/login", "release-1.2", "v1.x_y"],
    ["", "-x", ".x", "/x", "x/", "x.", "x.lock", "a..b", "a//b", "a b", "a~1", "a:b"],
  ],
  [
    "hostnamePattern",
    hostnamePattern,
    ["{org}-{task}", "{task}", "agents-{task}"],
    ["{org}-agent", "{Task}", "{org}.{task}", "{name}-{task}"],
  ],
];

describe.each(cases)("%s", (_name, format, good, bad) => {
  it.each(good)("accepts %j", (value) => {
    expect(format().safeParse(value).success).toBe(true);
  });
  it.each(bad)("refuses %j with a message saying what to write", (value) => {
    const result = format().safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^must /);
  });
});
