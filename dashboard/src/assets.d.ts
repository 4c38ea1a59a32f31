/** What vite's `?inline` suffix gives for a stylesheet: its text, for a shadow root's adopted sheet. */
declare module "*.css?inline" {
  const css: string;
  export default css;
}
