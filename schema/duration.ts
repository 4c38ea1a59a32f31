import type { z } from "zod";
import { celString, withRules } from "./extensions.ts";
import { boundedString } from "./formats.ts";

/**
 * Go duration strings ("30m", "1h30m", "1.5h"): the syntax of time.ParseDuration, which CEL's
 * duration() also parses, without sign or the micro sign so that people write what kubectl shows.
 */
export const GO_DURATION = /^([0-9]+(\.[0-9]+)?(h|ms|m|s|us|ns))+$/;

const COMPONENT = /([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|ns)/g;
const MILLISECONDS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 1e-3, ns: 1e-6 };

/** Milliseconds in a Go duration string; throws on anything GO_DURATION rejects. */
export function parseDuration(text: string): number {
  if (!GO_DURATION.test(text)) throw new Error(`not a Go duration: ${JSON.stringify(text)}`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(COMPONENT)) {
    total += Number(amount) * (MILLISECONDS[unit as string] as number);
  }
  return total;
}

/** A Go duration between `min` and `max` inclusive, both written as Go durations. */
export function duration(min: string, max: string): z.ZodString {
  const [low, high] = [parseDuration(min), parseDuration(max)];
  return withRules(boundedString(32), {
    // && short-circuits, so duration() never sees a string the pattern rejected.
    rule: `self.matches(${celString(GO_DURATION.source)}) && duration(self) >= duration('${min}') && duration(self) <= duration('${max}')`,
    message: `must be a Go duration between ${min} and ${max}, such as 30m or 1h30m`,
    check: (value) => GO_DURATION.test(value) && parseDuration(value) >= low && parseDuration(value) <= high,
  });
}
