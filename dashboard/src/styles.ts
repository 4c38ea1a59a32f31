import { css } from "lit";

/** What every element shares: text, controls, tables, cards and a visible keyboard focus. */
export const base = css`
  :host {
    display: block;
    color: var(--ay-text);
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h1,
  h2,
  h3 {
    line-height: 1.25;
    margin: 0 0 0.75rem;
  }
  h1 {
    font-size: 1.5rem;
  }
  h2 {
    font-size: 1.15rem;
  }
  h3 {
    font-size: 1rem;
  }
  a {
    color: var(--ay-accent);
  }
  code,
  pre,
  .mono {
    font-family: var(--ay-mono);
    font-size: 0.875em;
  }
  :focus-visible {
    outline: 3px solid var(--ay-focus);
    outline-offset: 2px;
  }
  .muted {
    color: var(--ay-muted);
  }
  .card {
    background: var(--ay-surface);
    border: 1px solid var(--ay-border);
    border-radius: var(--ay-radius);
    padding: 1rem;
  }
  .grid {
    display: grid;
    gap: 1rem;
    grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr));
  }
  button,
  .button {
    font: inherit;
    cursor: pointer;
    display: inline-flex;
    align-items: center;
    gap: 0.35rem;
    padding: 0.45rem 0.9rem;
    border-radius: var(--ay-radius);
    border: 1px solid var(--ay-border);
    background: var(--ay-surface);
    color: var(--ay-text);
    text-decoration: none;
    min-height: 2.25rem;
  }
  button.primary,
  .button.primary {
    background: var(--ay-accent);
    border-color: var(--ay-accent);
    color: var(--ay-accent-text);
    font-weight: 600;
  }
  button.danger {
    color: var(--ay-bad);
    border-color: var(--ay-bad);
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.55;
  }
  input,
  select,
  textarea {
    font: inherit;
    color: var(--ay-text);
    background: var(--ay-surface);
    border: 1px solid var(--ay-border);
    border-radius: var(--ay-radius);
    padding: 0.45rem 0.6rem;
    width: 100%;
    min-height: 2.25rem;
  }
  input[aria-invalid="true"],
  select[aria-invalid="true"],
  textarea[aria-invalid="true"] {
    border-color: var(--ay-bad);
    box-shadow: 0 0 0 1px var(--ay-bad);
  }
  label {
    font-weight: 600;
    display: block;
    margin-bottom: 0.25rem;
  }
  .table-wrap {
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    background: var(--ay-surface);
  }
  th,
  td {
    text-align: left;
    padding: 0.5rem 0.75rem;
    border-bottom: 1px solid var(--ay-border);
    vertical-align: top;
  }
  th {
    font-size: 0.8rem;
    text-transform: uppercase;
    letter-spacing: 0.03em;
    color: var(--ay-muted);
  }
  dl.facts {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.35rem 1rem;
    margin: 0;
  }
  dl.facts dt {
    color: var(--ay-muted);
  }
  dl.facts dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
