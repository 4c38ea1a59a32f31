import { z } from "zod";
import { celString, withRules } from "./extensions.ts";

/**
 * Kubernetes resource quantities ("500m", "2", "1Gi", "1e3"), written as a string or an integer as in
 * a Pod spec. Negative quantities are refused: they mean nothing for requests and limits.
 */
export const QUANTITY =
  /^(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

const MESSAGE = "must be a Kubernetes quantity such as 500m, 2 or 1Gi";

const SUFFIX: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export type Quantity = string | number;

/** The value of a quantity as a float, precise enough to compare requests with limits. */
export function quantityValue(quantity: Quantity): number {
  if (typeof quantity === "number") return quantity;
  const match = /^([0-9.]+)(.*)$/.exec(quantity);
  if (!match || !QUANTITY.test(quantity)) throw new Error(`not a quantity: ${JSON.stringify(quantity)}`);
  const [, number, suffix = ""] = match;
  const scale = SUFFIX[suffix];
  return scale === undefined ? Number(quantity) : Number(number) * scale;
}

/** Checked by CEL rather than pattern and minimum, so the API server's message says what to write. */
export function quantity() {
  return withRules(
    z
      .union([z.int(), z.string().max(64, MESSAGE)], { error: MESSAGE })
      .meta({ "x-kubernetes-int-or-string": true }),
    {
      rule: `type(self) == int ? self >= 0 : self.matches(${celString(QUANTITY.source)})`,
      message: MESSAGE,
      check: (value) => (typeof value === "number" ? value >= 0 : QUANTITY.test(value)),
    },
  );
}
