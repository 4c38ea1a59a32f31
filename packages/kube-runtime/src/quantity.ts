/**
 * The grammar of k8s.io/apimachinery's resource.Quantity: a signed decimal number, then a binary
 * suffix (Ki … Ei), a decimal SI suffix (n … E) or a decimal exponent (e3, E-2). The exponent is
 * bounded so that a hostile "1e999999999" cannot make a comparison build a gigantic integer.
 */
const GRAMMAR = /^([+-]?)(\d*)(?:\.(\d*))?(?:([KMGTPE]i)|([numkMGTPE])|[eE]([+-]?\d{1,4}))?$/;

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };

/** A quantity's exact value, numerator over denominator. */
interface Rational {
  num: bigint;
  den: bigint;
}

/** The exact value of a quantity written as a string or a number, or undefined when it is none. */
function parseQuantity(quantity: string | number): Rational | undefined {
  const text = typeof quantity === "number" ? String(quantity) : quantity;
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  const [, sign, whole = "", fraction = "", binary, decimal, exponent] = m;
  if (whole === "" && fraction === "") return undefined;
  const digits = BigInt(`${sign === "-" ? "-" : ""}${whole}${fraction}` || "0");
  const scale =
    (decimal ? (DECIMAL_SUFFIX[decimal] ?? 0) : 0) + (exponent ? Number(exponent) : 0) - fraction.length;
  const num =
    digits * 10n ** BigInt(Math.max(scale, 0)) * 2n ** (binary ? (BINARY_SUFFIX[binary] ?? 0n) : 0n);
  return { num, den: 10n ** BigInt(Math.max(-scale, 0)) };
}

/**
 * True when both are quantities of the same value: the API server answers `1073741824` as `1Gi`,
 * `0.5` as `500m` and `1000m` as `1`, and they mean the same.
 */
export function sameQuantity(a: string | number, b: string | number): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && x.num * y.den === y.num * x.den;
}
