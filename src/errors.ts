// Errors a user can cause (bad input, unknown names, editing config-managed rows). Each carries
// the HTTP status and a stable code for the admin API; the CLI prints the message on one line.
export class UserError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(message: string, status = 400, code = 'invalid') {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** Input that does not meet the rules (400). */
export class InvalidError extends UserError {
  constructor(message: string) {
    super(message, 400, 'invalid');
  }
}

/** A named thing that does not exist (404). */
export class NotFoundError extends UserError {
  constructor(message: string) {
    super(message, 404, 'not_found');
  }
}

/** A thing that already exists, or an operation the current state forbids (409). */
export class ConflictError extends UserError {
  constructor(message: string) {
    super(message, 409, 'conflict');
  }
}

/** The row is declared in the config file; only the config file may change it (409). */
export class ConfigManagedError extends UserError {
  constructor(what: string) {
    super(`${what} is declared in the config file; edit the config instead`, 409, 'config_managed');
  }
}

/** Missing or wrong credentials (401). */
export class UnauthorizedError extends UserError {
  constructor(message = 'missing or invalid bearer token') {
    super(message, 401, 'unauthorized');
  }
}

/** Valid credentials without the right to do this (403). */
export class ForbiddenError extends UserError {
  constructor(message: string) {
    super(message, 403, 'forbidden');
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** True for a better-sqlite3 UNIQUE / PRIMARY KEY violation. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
