import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderCrds } from "./crd.ts";
import { HEADER, renderCrdFiles } from "./crd-yaml.ts";

const crdsDir = fileURLToPath(new URL("../crds/", import.meta.url));

describe.each(renderCrdFiles())("crds/$name", ({ name, text }) => {
  it("matches the schemas", async () => {
    const committed = await readFile(join(crdsDir, name), "utf8").catch(() => "");
    expect(
      committed === text,
      `crds/${name} is out of date with the zod schemas in schema/: run \`npm run crds\` and commit the result`,
    ).toBe(true);
  });

  it("says it is generated", () => {
    expect(text.startsWith(HEADER)).toBe(true);
  });
});

it("renders the same bytes every time, with the data of renderCrds", () => {
  const files = renderCrdFiles();
  expect(renderCrdFiles()).toEqual(files);
  expect(files.map(({ text }) => parse(text))).toEqual(JSON.parse(JSON.stringify(renderCrds())));
});
