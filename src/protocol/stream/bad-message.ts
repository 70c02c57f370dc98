import { RelaydError } from '../../errors.js';

/** The error for a client message that breaks the stream protocol. */
export function badMessage(type: string, detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_STREAM_MESSAGE', `${type}: ${detail}`);
}
