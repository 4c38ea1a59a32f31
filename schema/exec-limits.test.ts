import { describe, expect, it } from "vitest";
import { truncate } from "./artifact.ts";
import { MAX_ARG_STRLEN, MAX_COMMAND_BYTES, MAX_PROMPT_BYTES, utf8Length } from "./exec-limits.ts";
import { codePointLength } from "./formats.ts";

describe("utf8Length", () => {
  it.each(["", "ascii", "é", "€", "😀", "a😀é€\n\t", "\ud83d lone", "lone \ude00"])(
    "counts %j as UTF-8 encodes it",
    (text) => {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    },
  );
});

describe("the budgets", () => {
  it("leave room for the variable's name and the NUL", () => {
    expect(utf8Length(`AGENTYARD_PROMPT=${"x".repeat(MAX_PROMPT_BYTES)}`) + 1).toBe(MAX_ARG_STRLEN);
  });

  it("keep the worst-case JSON of a command within one environment entry", () => {
    // 64 entries of `"` and `\` only: every byte doubled by JSON, plus the quotes and commas.
    const entries = Array.from({ length: 64 }, (_, i) => (i % 2 ? '"' : "\\").repeat(MAX_COMMAND_BYTES / 64));
    expect(utf8Length(`AGENTYARD_COMMAND=${JSON.stringify(entries)}`) + 1).toBeLessThanOrEqual(
      MAX_ARG_STRLEN,
    );
  });
});

describe("truncate", () => {
  it("counts code points and never splits a surrogate pair", () => {
    const cut = truncate("😀".repeat(10), 5);
    expect(cut).toBe("😀😀😀😀…");
    expect(codePointLength(cut)).toBe(5);
    expect(truncate("😀".repeat(5), 5)).toBe("😀😀😀😀😀");
  });
});
