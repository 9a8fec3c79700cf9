// JSON-lines logging on winston. Every component gets a child logger carrying its name, so a
// line can be traced to its origin with one filter (`component="scheduler"`).
import type { Writable } from 'node:stream';
import winston from 'winston';
import { isSecretKey, redactSecrets, redactedText, redactUrlCredentials } from './redact.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const logLevels: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** The subset of winston's logger lagpilot's code uses, so tests can pass any implementation. */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** A logger that drops every line: for code paths whose logs nobody reads (tests, tools). */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};

export interface LoggerOptions {
  level: LogLevel;
  /** Where the lines go; standard output unless a test captures them. */
  stream?: Writable;
}

/**
 * Redacts every field of a log entry. winston keeps its own bookkeeping under symbol keys
 * (level, message, splat), which `Object.entries` does not visit, so those survive untouched.
 */
const redactFormat = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (key === 'level') continue;
    info[key] = isSecretKey(key) && value !== undefined ? redactedText : redactSecrets(value);
  }
  if (typeof info.message === 'string') info.message = redactUrlCredentials(info.message);
  return info;
});

export interface RootLogger extends Logger {
  /**
   * Writes out every pending line and ends the logger. Called last before the process exits,
   * because winston writes asynchronously and `process.exit` would drop what is still queued.
   */
  close(): Promise<void>;
}

export function createLogger(options: LoggerOptions): RootLogger {
  const logger = winston.createLogger({
    level: options.level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: winston.format.combine(
      winston.format.timestamp({ format: () => new Date().toISOString() }),
      redactFormat(),
      winston.format.json(),
    ),
  });
  // winston declares its Stream transport as an interface over winston-transport's class, which
  // this rule cannot match to the class's constructor; at runtime it is a subclass.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  logger.add(new winston.transports.Stream({ stream: options.stream ?? process.stdout }));
  const close = async (): Promise<void> => {
    await new Promise<void>((resolveClose) => {
      logger.once('finish', () => { resolveClose(); });
      logger.end();
    });
  };
  return { ...wrap(logger), close };
}

function wrap(logger: winston.Logger): Logger {
  const write = (level: LogLevel) => (message: string, fields?: Record<string, unknown>): void => {
    // winston runs the formats (timestamp, redaction, JSON) before its transport drops a line
    // below the level: asking first makes a disabled debug line cost nothing (33 µs otherwise,
    // measured with bench/alert-reaction.ts's logger).
    if (!logger.isLevelEnabled(level)) return;
    logger.log({ ...fields, level, message });
  };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: (fields) => wrap(logger.child(fields)),
  };
}

/** The message of anything thrown, for a log field. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A thrown value as an Error: itself when it is one, else an Error with its text. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
