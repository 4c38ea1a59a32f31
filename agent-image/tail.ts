/** The last `max` bytes written to it: the bounded log tail the runtime reports. */
export class Tail {
  readonly #max: number;
  #buffer = Buffer.alloc(0);

  constructor(max: number) {
    this.#max = max;
  }

  push(chunk: Buffer | string): void {
    const next = Buffer.concat([this.#buffer, Buffer.from(chunk)]);
    this.#buffer = next.length > this.#max ? next.subarray(next.length - this.#max) : next;
  }

  /** The tail as text; a character cut in half at the start is dropped rather than shown broken. */
  toString(): string {
    return this.#buffer.toString("utf8").replace(/^\uFFFD+/, "");
  }
}
