/** The API server's answers are JSON, except a few (logs, errors from proxies); those stay text. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
