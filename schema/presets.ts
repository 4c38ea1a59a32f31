/**
 * The coding-agent CLIs an Org can name in spec.agent.preset, pinned here and nowhere else: the
 * operator renders a preset's command line, image and environment from this table, agent-image's
 * Dockerfile installs `package@version` (its build arg), the devcluster's node agent installs the
 * same into its cache, and docs/agents.md is tested against it.
 *
 * Every command line is the CLI's non-interactive mode: the agent runtime appends the prompt to it as
 * one argument (after `--`, or as an option's `=value`), so the CLI reads it verbatim (no shell, and a
 * prompt that starts with `-` is not taken for an option).
 */
export interface AgentPreset {
  /** The npm package that ships the CLI. */
  package: string;
  version: string;
  /** npm packages of the install whose install scripts must run (they link the CLI's native binary). */
  installScripts: readonly string[];
  /** The program and its options, before the prompt. */
  command: readonly string[];
  /**
   * The argument that carries the prompt, `{prompt}` standing for it: the prompt itself after `--`,
   * or an option's `--name={prompt}` for a CLI that takes no positional prompt after `--`.
   */
  promptArgument: string;
  /** Files the CLI reads from its HOME, written there by the runtime before the command starts. */
  homeFiles: Readonly<Record<string, string>>;
  /** Keys of the Org's credentials Secret the CLI reads, each set as the variable of the same name. */
  credentials: readonly string[];
  /**
   * How spec.agent.baseUrl (where the CLI sends its model requests) reaches the CLI: a variable it
   * reads, or a top-level key of one of its TOML home files, for a CLI that reads no variable.
   */
  baseUrl: { variable: string } | { tomlFile: string; key: string };
  /** Variables the CLI needs to run unattended in the agent pod. */
  env: Readonly<Record<string, string>>;
}

import { PROMPT_PLACEHOLDER as PROMPT } from "./contract/agent-env.ts";

export const AGENT_PRESETS = {
  "claude-code": {
    package: "@anthropic-ai/claude-code",
    version: "2.1.332",
    installScripts: ["@anthropic-ai/claude-code"],
    command: ["claude", "--print", "--dangerously-skip-permissions", "--"],
    promptArgument: PROMPT,
    homeFiles: {},
    credentials: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"],
    baseUrl: { variable: "ANTHROPIC_BASE_URL" },
    // The pod is the sandbox: without this Claude Code refuses to skip its permission prompts as root
    // (a devcluster node runs pods as its own user); it updates nothing in a read-only image.
    env: { IS_SANDBOX: "1", DISABLE_AUTOUPDATER: "1" },
  },
  codex: {
    package: "@openai/codex",
    version: "0.171.0",
    installScripts: [],
    // Codex's own sandbox needs namespaces a restricted pod does not have; the pod is the sandbox.
    command: ["codex", "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "--"],
    promptArgument: PROMPT,
    // Codex retries an unreachable model service for as long as it runs ("Reconnecting... waiting
    // for network") unless this feature is off; then it gives up after five attempts and exits 1.
    homeFiles: {
      ".codex/config.toml": "[features]\nunbounded_connection_retries = false\n",
    },
    // codex exec sends CODEX_API_KEY; it reads no OPENAI_API_KEY (that needs `codex login`).
    credentials: ["CODEX_API_KEY"],
    // Codex 0.171 reads no OPENAI_BASE_URL: the base URL is its config's openai_base_url.
    baseUrl: { tomlFile: ".codex/config.toml", key: "openai_base_url" },
    env: {},
  },
  "gemini-cli": {
    package: "@google/gemini-cli",
    version: "0.61.0",
    installScripts: [],
    // --prompt runs headless (a positional prompt after `--` is not read: gemini then waits for stdin);
    // --prompt=<text> keeps a prompt that starts with `-` a value. --skip-trust because the workspace
    // is a fresh clone no one could have trusted.
    command: ["gemini", "--yolo", "--skip-trust", "--output-format", "text"],
    promptArgument: `--prompt=${PROMPT}`,
    // With GOOGLE_GEMINI_BASE_URL set and no auth type chosen, gemini 0.61 picks its "gateway" type and
    // then refuses it unattended ("Invalid auth method selected."): the key's own type is chosen here.
    homeFiles: {
      ".gemini/settings.json": `${JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } } })}\n`,
    },
    credentials: ["GEMINI_API_KEY"],
    baseUrl: { variable: "GOOGLE_GEMINI_BASE_URL" },
    env: {},
  },
  opencode: {
    package: "opencode-ai",
    version: "1.18.33",
    installScripts: ["opencode-ai"],
    command: ["opencode", "run", "--"],
    promptArgument: PROMPT,
    homeFiles: {},
    credentials: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY"],
    // opencode picks its provider from the keys it finds; the base URL is the Anthropic provider's.
    baseUrl: { variable: "ANTHROPIC_BASE_URL" },
    env: {},
  },
} as const satisfies Record<string, AgentPreset>;

export type AgentPresetName = keyof typeof AGENT_PRESETS;

export const AGENT_PRESET_NAMES = Object.keys(AGENT_PRESETS) as [AgentPresetName, ...AgentPresetName[]];

/** Where a preset's CLI keeps its configuration and sessions: an emptyDir, the root filesystem is read-only. */
export const AGENT_HOME = "/home/agent";

/**
 * The files the runtime writes into the CLI's HOME for an Org: the preset's own, with the Org's base
 * URL as a top-level TOML key where the CLI reads it from a file. JSON's string escapes are TOML's
 * basic-string escapes, and a top-level key must come before the file's first table.
 */
export function presetHomeFiles(
  preset: AgentPresetName,
  baseUrl: string | undefined,
): Record<string, string> {
  const spec: AgentPreset = AGENT_PRESETS[preset];
  const files: Record<string, string> = { ...spec.homeFiles };
  if (baseUrl !== undefined && "tomlFile" in spec.baseUrl) {
    const { tomlFile, key } = spec.baseUrl;
    files[tomlFile] = `${key} = ${JSON.stringify(baseUrl)}\n${files[tomlFile] ?? ""}`;
  }
  return files;
}

/** `package@version`, as npm installs it. */
export function presetPackageSpec(preset: AgentPresetName): string {
  const { package: name, version } = AGENT_PRESETS[preset];
  return `${name}@${version}`;
}

/**
 * The package.json that installs a preset's CLI, in the image and in the devcluster's cache alike:
 * npm 11 runs no dependency's install scripts unless approved, and some CLIs link their native
 * binary in one.
 */
export function presetInstallManifest(preset: AgentPresetName): Record<string, unknown> {
  const spec: AgentPreset = AGENT_PRESETS[preset];
  return {
    private: true,
    dependencies: { [spec.package]: spec.version },
    allowScripts: Object.fromEntries(spec.installScripts.map((name) => [name, true])),
  };
}
