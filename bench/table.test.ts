import { describe, expect, it } from "vitest";
import { markdownTable, mebibytes, perSecond, ratio, seconds } from "./table.ts";

describe("markdownTable", () => {
  it("writes a header, a rule and one line per row", () => {
    expect(markdownTable(["a", "b"], [["1", "2"]])).toBe("| a | b |\n| --- | --- |\n| 1 | 2 |");
  });

  it("escapes pipes inside cells", () => {
    expect(markdownTable(["x"], [["a|b"]])).toBe("| x |\n| --- |\n| a\\|b |");
  });

  it("refuses a row whose width differs from the header's", () => {
    expect(() => markdownTable(["a", "b"], [["1"]])).toThrow("1 cells, the header 2");
  });
});

describe("cell formats", () => {
  it("formats seconds, rates, ratios and memory", () => {
    expect(seconds(1234)).toBe("1.23 s");
    expect(perSecond(4.94)).toBe("4.9/s");
    expect(ratio(5, 200)).toBe("0.025");
    expect(ratio(5, 0)).toBe("–");
    expect(mebibytes(460_800)).toBe("450 MiB");
  });
});
