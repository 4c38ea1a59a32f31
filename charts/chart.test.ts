import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import pkg from "../package.json" with { type: "json" };
import { chartDir, driftedFiles } from "./generate.ts";
import { resolveValues, ValuesSchema } from "./values.ts";

describe("the chart's generated files", () => {
  it("match their sources (run `npm run chart` when this fails)", async () => {
    expect(await driftedFiles()).toEqual([]);
  });

  it("ship the same CRDs as crds/", async () => {
    for (const f of ["org.yaml", "agenttask.yaml"]) {
      expect(await readFile(join(chartDir, "crds", f), "utf8")).toBe(
        await readFile(join(chartDir, "..", "..", "crds", f), "utf8"),
      );
    }
  });
});

describe("values.yaml", () => {
  it("holds exactly the defaults of the values schema", async () => {
    const yaml = parse(await readFile(join(chartDir, "values.yaml"), "utf8"));
    expect(ValuesSchema.parse(yaml)).toEqual(resolveValues({}));
    // Nothing the schema would drop or fill in: the file is complete as written.
    expect(yaml).toEqual(resolveValues({}));
  });

  it("refuses what the JSON schema refuses, naming the field", () => {
    const bad = ValuesSchema.safeParse({
      operator: { replicas: 0, leaseDuration: "soon" },
      api: { typo: 1 },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["operator.replicas", "operator.leaseDuration", "api"]));
  });
});

describe("versions", () => {
  it("come from package.json: chart version, appVersion and the CHANGELOG's latest entry", async () => {
    const chart = parse(await readFile(join(chartDir, "Chart.yaml"), "utf8"));
    expect(chart.version).toBe(pkg.version);
    expect(chart.appVersion).toBe(pkg.version);
    const changelog = await readFile(join(chartDir, "..", "..", "CHANGELOG.md"), "utf8");
    expect(/^## \[?(\d+\.\d+\.\d+[^\]\s]*)/m.exec(changelog)?.[1]).toBe(pkg.version);
  });
});
