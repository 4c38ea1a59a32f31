/**
 * A rendered object read by tests, which reach deep into fields the renderers' return type leaves
 * open; `any` here keeps the assertions readable.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Rendered = Record<string, any>;

/** The render options of a running first attempt bound to the warm pool member `member`. */
export const boundTo = (member: string) => ({
  attempt: 1,
  running: true,
  editorPassword: "pw",
  remote: false,
  warmMember: member,
});
