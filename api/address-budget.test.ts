import { describe, expect, it } from "vitest";
import { AddressBudget } from "./address-budget.ts";

describe("AddressBudget", () => {
  it("gives each address its own budget per window, and says when it refills", () => {
    const budget = new AddressBudget(2, 60_000);
    const t = 1_000_000;
    expect(budget.take("10.0.0.1", t)).toBeUndefined();
    expect(budget.take("10.0.0.1", t)).toBeUndefined();
    expect(budget.take("10.0.0.1", t + 15_000)).toBe(45);
    expect(budget.take("10.0.0.2", t + 15_000)).toBeUndefined();
    expect(budget.take("10.0.0.1", t + 60_000)).toBeUndefined();
  });
});
