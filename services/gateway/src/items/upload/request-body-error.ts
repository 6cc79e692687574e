/**
 * The request body could not be read as multipart/form-data: malformed, cut short or ended
 * without its closing boundary. The client's doing, so it is answered with a 400.
 */
export class RequestBodyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RequestBodyError';
  }

  /**
   * What the multipart parser threw, as a RequestBodyError; errors the framework has already
   * classified (they carry an HTTP status, such as its file-count limit) pass through unchanged.
   */
  static fromParser(err: unknown): unknown {
    if (typeof (err as { statusCode?: unknown } | null)?.statusCode === 'number') return err;
    const reason = err instanceof Error ? err.message : String(err);
    return new RequestBodyError(`the multipart body could not be read: ${reason}`, { cause: err });
  }
}

/**
 * Reads `items` one at a time (undefined at the end); a failure to read the next one comes from
 * the request body, and is thrown as RequestBodyError.fromParser says.
 */
export function readerOf<T>(items: AsyncIterator<T>): () => Promise<T | undefined> {
  return () =>
    items.next().then(
      (next) => (next.done ? undefined : next.value),
      (err: unknown) => Promise.reject(RequestBodyError.fromParser(err)),
    );
}
