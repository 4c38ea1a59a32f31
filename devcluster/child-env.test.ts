import { delimiter, dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, npmEnv } from "./child-env.ts";

/** What `npm test` on the machine's npm (Node 20) hands its scripts, in part. */
const underNpm: NodeJS.ProcessEnv = {
  PATH: "/work/node_modules/.bin:/usr/bin",
  HOME: "/root",
  npm_config_user_agent: "npm/11.19.1 node/v20.20.2 linux x64 workspaces/false",
  npm_config_nodedir: "/usr",
  NPM_CONFIG_GLOBALCONFIG: "/usr/etc/npmrc",
  npm_lifecycle_event: "test",
  npm_package_name: "agentyard",
  npm_node_execpath: "/usr/bin/node",
  npm_execpath: "/usr/lib/node_modules/npm/bin/npm-cli.js",
  INIT_CWD: "/work",
  NODE: "/usr/bin/node",
};

describe("cleanEnv", () => {
  it("drops every variable npm set for its scripts and keeps the rest", () => {
    expect(cleanEnv({ DEBIAN_FRONTEND: "noninteractive" }, underNpm)).toEqual({
      PATH: underNpm.PATH,
      HOME: "/root",
      DEBIAN_FRONTEND: "noninteractive",
    });
  });
});

describe("npmEnv", () => {
  it("runs npm under this Node with only the configuration asked for", () => {
    const env = npmEnv({ nodedir: "/cache/node-headers" }, underNpm);
    expect(env.PATH).toBe([dirname(process.execPath), underNpm.PATH].join(delimiter));
    expect(env.npm_config_user_agent).toBeUndefined();
    expect(env.npm_config_nodedir).toBe("/cache/node-headers");
    expect(Object.keys(env).filter((key) => /^npm_/i.test(key))).toEqual([
      "npm_config_update_notifier",
      "npm_config_nodedir",
    ]);
  });
});
