import { InvalidArgumentError } from "commander";

/** `--tasks 100,1000`: one run per size, in the order given. */
export function parseSizes(value: string): number[] {
  const sizes = value.split(",").map((part) => {
    const trimmed = part.trim();
    const n = Number(trimmed);
    if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${JSON.stringify(trimmed)} is not a positive number of tasks`);
    }
    return n;
  });
  return sizes;
}

/** A positive integer flag, such as `--concurrency 10`. */
export function parsePositive(value: string): number {
  const trimmed = value.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1) {
    throw new InvalidArgumentError("must be a positive integer");
  }
  return Number(trimmed);
}

/** A non-negative decimal flag, such as a threshold of writes per task. */
export function parseLimit(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError("must be a number of at least 0");
  }
  return n;
}
