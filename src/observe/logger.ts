// The root logger: pino JSON lines. Redaction is set up once here so that no token can reach a log,
// whatever a call site passes (headers objects, upstream requests, config).
import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

const REDACT_PATHS = [
  'authorization',
  'token',
  'acceptTokens',
  'runnerTokens',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.acceptTokens',
  '*.runnerTokens',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'relayd',
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}

/** Human-readable lines for a terminal (redaction still applies: pino redacts before formatting). */
export function terminalDestination(): DestinationStream {
  return PinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
}
