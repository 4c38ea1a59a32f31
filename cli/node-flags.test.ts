import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SERVER_NODE_FLAGS } from "./node-flags.ts";

const dockerfile = await readFile(new URL("../Dockerfile", import.meta.url), "utf8");

describe("SERVER_NODE_FLAGS", () => {
  it("are the flags the image's ENTRYPOINT gives node", () => {
    const entrypoint = dockerfile.match(/^ENTRYPOINT (.+)$/m)?.[1];
    expect(entrypoint && JSON.parse(entrypoint)).toEqual([
      "node",
      ...SERVER_NODE_FLAGS,
      "/app/cli/agentyard.ts",
    ]);
  });
});
