/**
 * Typed errors. Every failure a user can cause or meet is one of three families,
 * each mapped to one exit code (the seed's contract):
 *   1 retriable  (timeout, killed agent, lock busy, server unreachable)
 *   2 permanent  (invalid input, unknown task, agent refused)
 *   3 config     (bad/missing config, missing agent binary or credentials)
 * Only src/cli/exit.ts turns these into process exit codes; the server maps them to HTTP.
 */

export type ExitCode = 0 | 1 | 2 | 3;
export type ErrorFamily = 'retriable' | 'permanent' | 'config';

const CONDUCTOR_ERROR = Symbol.for('conductor-loop.error');

export interface ConductorErrorOptions {
  cause?: unknown;
  /** Extra structured facts for logs/API bodies (never secrets). */
  details?: Record<string, unknown>;
}

export class ConductorError extends Error {
  readonly [CONDUCTOR_ERROR] = true;
  readonly code: string;
  readonly family: ErrorFamily;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    family: ErrorFamily,
    code: string,
    message: string,
    options: ConductorErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.family = family;
    this.code = code;
    this.details = options.details;
  }

  get exitCode(): 1 | 2 | 3 {
    return exitCodeOfFamily(this.family);
  }
}

/** Exit 1: trying again later may succeed. */
export class RetriableError extends ConductorError {
  constructor(code: string, message: string, options?: ConductorErrorOptions) {
    super('retriable', code, message, options);
  }
}

/** Exit 2: the same input will fail the same way. */
export class PermanentError extends ConductorError {
  constructor(code: string, message: string, options?: ConductorErrorOptions) {
    super('permanent', code, message, options);
  }
}

/** Exit 3: fix the configuration (file, flags, credentials, installed tools). */
export class ConfigError extends ConductorError {
  constructor(code: string, message: string, options?: ConductorErrorOptions) {
    super('config', code, message, options);
  }
}

/** Bad user input (ids, flags, bodies). Permanent; HTTP 400. */
export class ValidationError extends PermanentError {
  constructor(message: string, options?: ConductorErrorOptions) {
    super('INVALID_INPUT', message, options);
  }
}

/** Something addressed by id does not exist. Permanent; HTTP 404. */
export class NotFoundError extends PermanentError {
  constructor(message: string, options?: ConductorErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

/** The request conflicts with current state (e.g. delete while running). Permanent; HTTP 409. */
export class ConflictError extends PermanentError {
  constructor(message: string, options?: ConductorErrorOptions) {
    super('CONFLICT', message, options);
  }
}

export function exitCodeOfFamily(family: ErrorFamily): 1 | 2 | 3 {
  switch (family) {
    case 'retriable':
      return 1;
    case 'permanent':
      return 2;
    case 'config':
      return 3;
  }
}

/** The family of a non-zero outcome exit code (1 retriable, 2 permanent, 3 configuration). */
export function familyOfExitCode(code: number): ErrorFamily {
  return code === 3 ? 'config' : code === 2 ? 'permanent' : 'retriable';
}

/** Recognise our errors by symbol, so copies from other bundles/realms still match. */
export function isConductorError(error: unknown): error is ConductorError {
  return typeof error === 'object' && error !== null && CONDUCTOR_ERROR in error;
}

/** Node system errors carry a string `code` such as ENOENT. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code: unknown = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Classify a filesystem failure into our families: a full disk or busy resource is
 * retriable, permissions and a missing root are configuration problems.
 */
export function fsError(action: string, path: string, cause: unknown): ConductorError {
  const code = errnoCode(cause);
  const reason = cause instanceof Error ? cause.message.replace(/^[A-Z]+: /, '') : String(cause);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new RetriableError('DISK_FULL', `cannot ${action} ${path}: no space left on device`, {
        cause,
      });
    case 'EAGAIN':
    case 'EBUSY':
    case 'EMFILE':
    case 'ENFILE':
      return new RetriableError('FS_BUSY', `cannot ${action} ${path}: ${reason}`, { cause });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ConfigError('FS_PERMISSION', `cannot ${action} ${path}: permission denied`, {
        cause,
      });
    case 'ENOENT':
      return new NotFoundError(`cannot ${action} ${path}: no such file or directory`, { cause });
    case 'ENOTDIR':
    case 'EISDIR':
      return new ConfigError('FS_NOT_DIRECTORY', `cannot ${action} ${path}: ${reason}`, { cause });
    default:
      return new PermanentError('FS_ERROR', `cannot ${action} ${path}: ${reason}`, { cause });
  }
}
