import { HttpStatus } from '@nestjs/common';

export interface FieldProblem {
  field: string;
  message: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** `type` is a stable URN per code, so clients can switch on it without parsing prose. */
export function problemType(code: string): string {
  return `urn:sessionpix:problem:${code}`;
}

/**
 * An error the API answers with as RFC 9457 problem details: a stable `code`, a title for the
 * status, a sentence for humans, and per-field messages for validation.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    readonly detail: string,
    readonly errors?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = 'ProblemError';
  }

  static notFound(what: string): ProblemError {
    return new ProblemError(HttpStatus.NOT_FOUND, 'not_found', `${what} was not found`);
  }

  static validation(errors: FieldProblem[]): ProblemError {
    const fields = [...new Set(errors.map((e) => e.field))].join(', ');
    return new ProblemError(HttpStatus.BAD_REQUEST, 'validation_failed', `invalid request: check ${fields}`, errors);
  }

  static unauthorized(detail: string): ProblemError {
    return new ProblemError(HttpStatus.UNAUTHORIZED, 'unauthorized', detail, undefined, {
      'www-authenticate': 'Bearer realm="sessionpix"',
    });
  }
}
