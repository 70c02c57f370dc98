// Injected faults: the wire message of `POST /_emulator/fault` (type and guard) and the slot that
// applies one fault to the next matching requests.
//
//   {"kind":"status","status":503}                          every request answers 503 until cleared
//   {"kind":"status","status":429,"retryAfter":2,"count":3} the next 3 answer 429 with Retry-After: 2
//   {"kind":"status","status":400,"count":1,"only":"push"}  the next push only is rejected
//   {"kind":"status","status":403,"code":4,"only":"push"}   k6's "stop sending metrics" signal (§9.2)
//   {"kind":"status","status":401,"body":"{…}"}             answers with this exact body
//   {"kind":"slow","delayMs":2000}                          answers (normally) after 2 s
//   {"kind":"reset","count":1}                              destroys the socket before reading the body
//   {"kind":"reset","afterProcessing":true,"count":1}       records the request, then destroys the socket
//
// `count` is how many matching requests the fault affects (absent: until cleared); `only`
// restricts it to one kind of request. Admin requests are never affected.

import type { Route } from './routes.js';

export type RequestKind = 'create' | 'push' | 'events' | 'finish';

interface FaultScope {
  /** Affect this many matching requests, then clear; absent: until cleared. */
  count?: number;
  /** Affect only this kind of request; absent: every k6 endpoint. */
  only?: RequestKind;
}

export type Fault =
  | (FaultScope & {
      kind: 'status';
      status: number;
      retryAfter?: number;
      /** error.code and error.message of the k6 error body. */
      code?: number;
      message?: string;
      /** A raw body sent verbatim instead of the k6 error body. */
      body?: string;
    })
  | (FaultScope & { kind: 'slow'; delayMs: number })
  | (FaultScope & { kind: 'reset'; afterProcessing?: boolean });

const KINDS: ReadonlySet<unknown> = new Set(['create', 'push', 'events', 'finish']);

export function requestKind(route: Route | undefined): RequestKind | undefined {
  if (route === undefined) return undefined;
  return route.kind === 'v1-push' || route.kind === 'v2-push' ? 'push' : route.kind;
}

/** Validates an admin request body; throws an Error naming the bad field. */
export function parseFault(value: unknown): Fault | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('fault: expected an object or null');
  const fault = value as Record<string, unknown>;
  optional(fault, 'count', (v) => Number.isSafeInteger(v) && (v as number) > 0, 'a positive integer');
  optional(fault, 'only', (v) => KINDS.has(v), '"create", "push", "events" or "finish"');
  switch (fault.kind) {
    case 'status':
      required(fault, 'status', (v) => Number.isInteger(v) && (v as number) >= 200 && (v as number) <= 599, 'an HTTP status');
      optional(fault, 'retryAfter', (v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number of seconds');
      optional(fault, 'code', Number.isInteger, 'an integer');
      optional(fault, 'message', (v) => typeof v === 'string', 'a string');
      optional(fault, 'body', (v) => typeof v === 'string', 'a string');
      break;
    case 'slow':
      required(fault, 'delayMs', (v) => typeof v === 'number' && v >= 0, 'a number of milliseconds');
      break;
    case 'reset':
      optional(fault, 'afterProcessing', (v) => typeof v === 'boolean', 'a boolean');
      break;
    default:
      throw new Error('fault.kind: expected "status", "slow" or "reset"');
  }
  return fault as unknown as Fault;
}

function required(fault: Record<string, unknown>, key: string, ok: (v: unknown) => boolean, expected: string): void {
  if (!ok(fault[key])) throw new Error(`fault.${key}: expected ${expected}`);
}

function optional(fault: Record<string, unknown>, key: string, ok: (v: unknown) => boolean, expected: string): void {
  if (fault[key] !== undefined) required(fault, key, ok, expected);
}

/** Holds the active fault and counts down the requests it still affects. */
export class FaultSlot {
  #fault: Fault | null = null;
  #remaining = Infinity;

  get current(): Fault | null {
    return this.#fault;
  }

  set(fault: Fault | null): void {
    this.#fault = fault;
    this.#remaining = fault?.count ?? Infinity;
  }

  /** The fault to apply to a request of this kind, consuming one of its `count`. */
  take(kind: RequestKind | undefined): Fault | undefined {
    const fault = this.#fault;
    if (fault === null || (fault.only !== undefined && fault.only !== kind)) return undefined;
    if (--this.#remaining <= 0) this.set(null);
    return fault;
  }
}
