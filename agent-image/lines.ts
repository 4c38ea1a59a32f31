/**
 * Splits a byte stream into whole lines so each can be redacted before it is written on: a secret
 * split across two chunks would otherwise slip through. A partial line is held until its end arrives,
 * `flush` is called, or it grows past `maxLine` bytes.
 */
export class LineSplitter {
  readonly #emit: (line: string) => void;
  readonly #maxLine: number;
  #pending = "";

  constructor(emit: (line: string) => void, maxLine = 65_536) {
    this.#emit = emit;
    this.#maxLine = maxLine;
  }

  push(chunk: string): void {
    const text = this.#pending + chunk;
    const end = text.lastIndexOf("\n");
    if (end >= 0) {
      this.#emit(text.slice(0, end + 1));
      this.#pending = text.slice(end + 1);
    } else {
      this.#pending = text;
    }
    if (this.#pending.length > this.#maxLine) this.flush();
  }

  flush(): void {
    if (this.#pending) this.#emit(this.#pending);
    this.#pending = "";
  }
}
