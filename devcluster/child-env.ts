import { delimiter, dirname } from "node:path";

/**
 * npm hands its scripts its own configuration as `npm_config_*` variables (the user agent with the
 * Node version npm runs on, the machine's `nodedir`, ...) and its state as `npm_*`, `INIT_CWD` and
 * `NODE`; a nested npm takes every `npm_config_*` variable as configuration again. A child that
 * must see this machine as it is (a nested npm, node-gyp, apt-get) gets the environment without
 * them: npm reads the user's and the machine's npmrc files itself, and says who it is in a user
 * agent of its own.
 */
const NPM_STATE = /^(npm_|init_cwd$|node$)/i;

/** The caller's environment less npm's variables, with `extra` on top. */
export function cleanEnv(
  extra: NodeJS.ProcessEnv = {},
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!NPM_STATE.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/**
 * The environment for npm (and the install scripts and node-gyp it runs) under this process's
 * Node: that Node first on PATH, npm's inherited configuration gone, and only what the caller sets
 * on purpose, such as `npm_config_nodedir`.
 */
export function npmEnv(
  config: Record<string, string> = {},
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const settings = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [`npm_config_${key}`, value]),
  );
  return cleanEnv(
    {
      PATH: [dirname(process.execPath), base.PATH].filter(Boolean).join(delimiter),
      npm_config_update_notifier: "false",
      ...settings,
    },
    base,
  );
}
