// Splits a JSON array that arrives in chunks into its elements, without parsing them: each element's
// bytes are handed over whole (JSON.parse then checks them), so that memory is one element, not the
// document. It reads only what it needs to find an element's end: strings (their escapes) and
// the nesting of objects and arrays; what lies between the elements (commas, brackets, whitespace)
// it checks itself.
//
// Failures are RelaydErrors, thrown by write() or end(): RELAYD_BAD_JSON for what is not JSON
// (positions count bytes of the whole document), RELAYD_BAD_V1_PAYLOAD when the document is not an
// array or an element is longer than `maxElementBytes`. After a failure the scanner must not be fed.

import { RelaydError } from '../errors.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

const enum Phase {
  /** Before the opening bracket. */
  Start,
  /** After `[`: an element or `]`. */
  First,
  /** After a comma: an element. */
  Next,
  /** Within an element. */
  Element,
  /** After an element: a comma or `]`. */
  After,
  /** After the closing bracket: whitespace only. */
  End,
}

/** Called with an element's bytes, its index and the position of its first byte in the document. */
export type OnElement = (bytes: Buffer, index: number, position: number) => void;

export class JsonArrayScanner {
  readonly #maxElementBytes: number;
  readonly #onElement: OnElement;
  #phase = Phase.Start;
  /** Position in the document of the next chunk's first byte. */
  #offset = 0;
  #count = 0;
  // The element being read: its bytes from earlier chunks, where it starts, and where the scan is.
  #parts: Buffer[] = [];
  #partBytes = 0;
  #elementPosition = 0;
  #depth = 0;
  #inString = false;
  /** Inside a string, the chunk ended on an odd run of backslashes: the next byte is escaped. */
  #escapePending = false;
  /** The element is a number or a literal: it ends at whitespace, a comma or `]`. */
  #scalar = false;

  constructor(maxElementBytes: number, onElement: OnElement) {
    this.#maxElementBytes = maxElementBytes;
    this.#onElement = onElement;
  }

  /** Elements handed over so far. */
  get count(): number {
    return this.#count;
  }

  write(chunk: Buffer): void {
    let i = 0;
    let elementStart = this.#phase === Phase.Element ? 0 : -1;
    while (i < chunk.length) {
      if (this.#phase === Phase.Element) {
        const end = this.#scanElement(chunk, i);
        if (end < 0) break;
        this.#finishElement(chunk, elementStart, end);
        elementStart = -1;
        i = end;
        continue;
      }
      const byte = chunk[i]!;
      if (isWhitespace(byte)) {
        i++;
        continue;
      }
      switch (this.#phase) {
        case Phase.Start:
          if (byte !== OPEN_BRACKET) this.#notAnArray(chunk, i);
          this.#phase = Phase.First;
          i++;
          break;
        case Phase.First:
        case Phase.Next:
          if (byte === CLOSE_BRACKET && this.#phase === Phase.First) {
            this.#phase = Phase.End;
            i++;
            break;
          }
          if (byte === CLOSE_BRACKET || byte === COMMA) throw this.#unexpected(byte, i);
          this.#startElement(byte, i);
          elementStart = i;
          if (!this.#scalar) i++;
          break;
        case Phase.After:
          if (byte === COMMA) this.#phase = Phase.Next;
          else if (byte === CLOSE_BRACKET) this.#phase = Phase.End;
          else throw syntax(`Expected ',' or ']' after array element in JSON at position ${this.#offset + i}`);
          i++;
          break;
        default:
          throw syntax(`Unexpected non-whitespace character after JSON at position ${this.#offset + i}`);
      }
    }
    if (this.#phase === Phase.Element) this.#keepPart(chunk, elementStart);
    this.#offset += chunk.length;
  }

  /** The document ended: it must have been a whole array. */
  end(): void {
    if (this.#phase !== Phase.End) throw syntax('Unexpected end of JSON input');
  }

  #startElement(byte: number, i: number): void {
    this.#phase = Phase.Element;
    this.#elementPosition = this.#offset + i;
    this.#depth = byte === OPEN_BRACE || byte === OPEN_BRACKET ? 1 : 0;
    this.#inString = byte === QUOTE;
    this.#escapePending = false;
    this.#scalar = this.#depth === 0 && !this.#inString;
  }

  /** Scans the element from `i`: the position just past its end, or -1 when it goes on past the chunk. */
  #scanElement(chunk: Buffer, i: number): number {
    if (this.#scalar) {
      for (; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === COMMA || byte === CLOSE_BRACKET || isWhitespace(byte)) return i;
      }
      return -1;
    }
    while (i < chunk.length) {
      if (this.#inString) {
        i = this.#stringEnd(chunk, i);
        if (i < 0) return -1;
        this.#inString = false;
        if (this.#depth === 0) return i;
        continue;
      }
      const byte = chunk[i++]!;
      if (byte === QUOTE) this.#inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.#depth++;
      else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --this.#depth === 0) return i;
    }
    return -1;
  }

  /** Just past the quote that closes the string `i` is in, or -1 when the chunk ends first. */
  #stringEnd(chunk: Buffer, i: number): number {
    if (this.#escapePending) {
      this.#escapePending = false;
      i++;
    }
    for (;;) {
      const quote = chunk.indexOf(QUOTE, i);
      const stop = quote < 0 ? chunk.length : quote;
      // A run of backslashes before the quote (or the chunk's end) escapes it when it is odd.
      let run = 0;
      while (stop - run - 1 >= i && chunk[stop - run - 1] === BACKSLASH) run++;
      if (quote < 0) {
        this.#escapePending = run % 2 === 1;
        return -1;
      }
      if (run % 2 === 0) return quote + 1;
      i = quote + 1;
    }
  }

  #finishElement(chunk: Buffer, start: number, end: number): void {
    const length = this.#partBytes + end - start;
    if (length > this.#maxElementBytes) throw this.#tooLarge();
    const tail = chunk.subarray(start, end);
    const bytes = this.#parts.length === 0 ? tail : Buffer.concat([...this.#parts, tail], length);
    this.#parts = [];
    this.#partBytes = 0;
    this.#phase = Phase.After;
    this.#onElement(bytes, this.#count++, this.#elementPosition);
  }

  /** The chunk ended inside an element: its bytes so far are kept, up to the bound. */
  #keepPart(chunk: Buffer, start: number): void {
    this.#partBytes += chunk.length - start;
    if (this.#partBytes > this.#maxElementBytes) throw this.#tooLarge();
    this.#parts.push(chunk.subarray(start));
  }

  #tooLarge(): RelaydError {
    return new RelaydError('RELAYD_BAD_V1_PAYLOAD', `[${this.#count}]: expected an envelope of at most ${this.#maxElementBytes} bytes, got more`);
  }

  /** The document starts with something else than `[`: what it is, as far as its first byte tells. */
  #notAnArray(chunk: Buffer, i: number): never {
    const byte = chunk[i]!;
    const what = NOT_ARRAYS.get(byte) ?? (byte === 0x2d || (byte >= 0x30 && byte <= 0x39) ? 'a number' : undefined);
    throw what === undefined ? this.#unexpected(byte, i) : notArray(what);
  }

  #unexpected(byte: number, i: number): RelaydError {
    return syntax(`Unexpected token '${String.fromCharCode(byte)}' in JSON at position ${this.#offset + i}`);
  }
}

/** What a top-level value that is not an array is, by its first byte (json.ts's describe() names them so). */
const NOT_ARRAYS = new Map([
  [OPEN_BRACE, 'an object'],
  [QUOTE, 'a string'],
  [0x6e, 'null'],
  [0x74, 'true'],
  [0x66, 'false'],
]);

function syntax(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_JSON', detail);
}

function notArray(what: string): RelaydError {
  return new RelaydError('RELAYD_BAD_V1_PAYLOAD', `expected a JSON array of samples, got ${what}`);
}
