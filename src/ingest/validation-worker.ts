// The body of a validation thread (a piscina worker): validates one API v1 push per task. A RelaydError
// crosses the thread boundary as its code and message (structured clone keeps neither the class
// nor `code`), anything else is rethrown as a bug.
import { type ErrorCode, isRelaydError } from '../errors.js';
import { type PushToValidate, validateV1Push } from './push-validation.js';

export type ValidationOutcome = { readonly samples: number } | { readonly code: ErrorCode; readonly detail: string | undefined };

export default async function validate(push: PushToValidate): Promise<ValidationOutcome> {
  try {
    return { samples: await validateV1Push(push) };
  } catch (err) {
    if (isRelaydError(err)) return { code: err.code, detail: err.detail };
    throw err;
  }
}
