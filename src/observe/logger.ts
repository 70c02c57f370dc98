// The root logger: pino JSON lines. Redaction is set up once here so that no token can reach a log,
// whatever a call site passes (headers objects, upstream requests, config).
import { pino, type DestinationStream, type Logger } from 'pino';

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

/**
 * Human-readable lines for a terminal (redaction still applies: pino redacts before formatting).
 * pino-pretty is loaded only then: a relayd run by systemd or docker logs JSON and never needs it.
 */
export async function terminalDestination(): Promise<DestinationStream> {
  const { PinoPretty } = await import('pino-pretty');
  return PinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
}
