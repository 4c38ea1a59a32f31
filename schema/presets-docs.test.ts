import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OrgSchema } from "./org.ts";
import { AGENT_PRESET_NAMES, AGENT_PRESETS, type AgentPreset } from "./presets.ts";

const here = dirname(fileURLToPath(import.meta.url));
const doc = await readFile(join(here, "..", "docs", "agents.md"), "utf8");
const manifests = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1] as string));

describe("docs/agents.md", () => {
  it("shows an Org for each preset, each one the schema accepts", () => {
    expect(manifests.map((m) => m.spec.agent.preset)).toEqual(AGENT_PRESET_NAMES);
    for (const manifest of manifests) {
      expect(OrgSchema.safeParse(manifest).error?.issues ?? []).toEqual([]);
    }
  });

  it("documents each preset's pinned package, command line, keys and base URL variable", () => {
    for (const preset of AGENT_PRESET_NAMES) {
      const spec = AGENT_PRESETS[preset];
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${preset}\` |`)) ?? "";
      expect(row, preset).toContain(`\`${spec.package}@${spec.version}\``);
      const promptArgument = spec.promptArgument.replace("{prompt}", "<prompt>");
      expect(row, preset).toContain(`\`${[...spec.command, promptArgument].join(" ")}\``);
      for (const file of Object.keys(spec.homeFiles)) expect(row, preset).toContain(`~/${file}`);
      for (const key of spec.credentials) expect(row, preset).toContain(key);
      const baseUrl: AgentPreset["baseUrl"] = spec.baseUrl;
      expect(row, preset).toContain(
        "variable" in baseUrl ? `\`${baseUrl.variable}\`` : `\`${baseUrl.key}\` in \`~/${baseUrl.tomlFile}\``,
      );
      for (const [name, value] of Object.entries(spec.env)) expect(row, preset).toContain(`${name}=${value}`);
    }
  });
});
