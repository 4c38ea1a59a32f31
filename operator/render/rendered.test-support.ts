/**
 * A rendered object read by tests, which reach deep into fields the renderers' return type leaves
 * open; `any` here keeps the assertions readable.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Rendered = Record<string, any>;
