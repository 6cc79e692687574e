import type { IncomingHttpHeaders } from 'node:http';

export type S3Operation =
  | 'CreateBucket'
  | 'HeadBucket'
  | 'ListObjectsV2'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'Other';

/**
 * Operations that bring a new object into being. S3 decides an object's encryption from the
 * request that creates it: PutObject, CopyObject, or CreateMultipartUpload (UploadPart and
 * CompleteMultipartUpload take no SSE-S3/KMS headers; the parts inherit the upload's setting).
 */
export const OBJECT_CREATING_OPERATIONS: readonly S3Operation[] = ['PutObject', 'CopyObject', 'CreateMultipartUpload'];

/** Names the S3 operation of a path-style request (`/bucket` or `/bucket/key`). */
export function classifyS3Request(method: string, url: string, headers: IncomingHttpHeaders): S3Operation {
  const { pathname, searchParams: q } = new URL(url, 'http://s3');
  // `/bucket`, `/bucket/` → bucket-level; `/bucket/any/key` → object-level.
  const hasKey = /^\/[^/]+\/./.test(pathname);
  switch (method.toUpperCase()) {
    case 'PUT':
      if (!hasKey) return q.size === 0 ? 'CreateBucket' : 'Other';
      if (q.has('uploadId')) return 'UploadPart';
      if (headers['x-amz-copy-source']) return 'CopyObject';
      return q.size === 0 || isOnlySigning(q) ? 'PutObject' : 'Other';
    case 'POST':
      if (!hasKey) return q.has('delete') ? 'DeleteObjects' : 'Other';
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Other';
    case 'DELETE':
      if (!hasKey) return 'Other';
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'GET':
      if (!hasKey) return q.get('list-type') === '2' ? 'ListObjectsV2' : 'Other';
      return 'GetObject';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    default:
      return 'Other';
  }
}

// A presigned PutObject carries only X-Amz-* signing parameters (and SDK id) in its query.
function isOnlySigning(q: URLSearchParams): boolean {
  return [...q.keys()].every((k) => k.toLowerCase().startsWith('x-amz-') || k === 'x-id');
}
