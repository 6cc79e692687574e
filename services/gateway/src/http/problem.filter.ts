import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { InvalidCursorError } from '@sessionpix/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ZodValidationException } from 'nestjs-zod';
import type { ZodError } from 'zod';
import { type FieldProblem, PROBLEM_CONTENT_TYPE, ProblemError, problemType } from './problem';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

function title(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

function zodProblems(error: ZodError, location: string): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : location,
    message: issue.message,
  }));
}

/** Every error leaves the API as application/problem+json; nothing else escapes. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly log = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = this.toProblem(exception);
    if (problem.status >= 500) {
      this.log.error({ err: exception, url: request.url }, 'unhandled error');
    }
    const body: Record<string, unknown> = {
      type: problemType(problem.code),
      title: title(problem.status),
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      instance: request.url.split('?')[0],
    };
    if (problem.errors) body.errors = problem.errors;
    void reply
      .status(problem.status)
      .headers({ ...(problem.headers ?? {}), 'content-type': PROBLEM_CONTENT_TYPE })
      .send(JSON.stringify(body));
  }

  private toProblem(exception: unknown): ProblemError {
    if (exception instanceof ProblemError) return exception;
    if (exception instanceof ZodValidationException) {
      return ProblemError.validation(zodProblems(exception.getZodError() as ZodError, 'body'));
    }
    if (exception instanceof InvalidCursorError) {
      return ProblemError.validation([{ field: 'cursor', message: exception.message }]);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const detail =
        typeof response === 'object' && response && 'message' in response
          ? String((response as { message: unknown }).message)
          : exception.message;
      return new ProblemError(status, CODE_BY_STATUS[status] ?? `http_${status}`, detail);
    }
    const fastifyStatus = (exception as { statusCode?: number } | null)?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return new ProblemError(
        fastifyStatus,
        CODE_BY_STATUS[fastifyStatus] ?? `http_${fastifyStatus}`,
        (exception as Error).message,
      );
    }
    return new ProblemError(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'internal_error',
      'something went wrong on our side; it has been logged',
    );
  }
}
