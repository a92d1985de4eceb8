/**
 * RFC 9457 problem details for every error the API answers: `type`, `title`, `status`, `detail`, and `code`, the
 * Steward error code, so that clients match errors by code. Errors Steward did not throw on purpose are answered as
 * STEWARD_INTERNAL without their message.
 */
import { STATUS_CODES } from 'node:http';
import { ErrorCodes, StewardError } from '../errors.js';

/** The media type of a problem. */
export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** A problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  /** The error's details, when it has some (which policies denied, when to retry…). */
  details?: Record<string, unknown>;
}

/** The HTTP status of each error code the API can answer; anything else is 500. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  [ErrorCodes.VALIDATION]: 400,
  [ErrorCodes.USAGE]: 400,
  [ErrorCodes.UNKNOWN_WORKFLOW]: 400,
  [ErrorCodes.PLAN_INVALID]: 400,
  [ErrorCodes.PROVIDER_INVALID]: 400,
  [ErrorCodes.UNAUTHENTICATED]: 401,
  [ErrorCodes.FORBIDDEN]: 403,
  [ErrorCodes.POLICY_DENIED]: 403,
  [ErrorCodes.RUN_NOT_FOUND]: 404,
  [ErrorCodes.APPROVAL_NOT_FOUND]: 404,
  [ErrorCodes.ROUTE_NOT_FOUND]: 404,
  [ErrorCodes.TOKEN_NOT_FOUND]: 404,
  [ErrorCodes.PROVIDER_NOT_FOUND]: 404,
  [ErrorCodes.RUN_FINISHED]: 409,
  [ErrorCodes.APPROVAL_REFUSED]: 409,
  [ErrorCodes.PLAN_CHANGED]: 409,
  [ErrorCodes.CONFIG]: 409,
  [ErrorCodes.PROVIDER_SWAP_VETOED]: 409,
  [ErrorCodes.PROVIDER_SWAP_FAILED]: 409,
  [ErrorCodes.PROVIDER_DRAIN_TIMEOUT]: 409,
  [ErrorCodes.REQUEST_TOO_LARGE]: 413,
  [ErrorCodes.TOO_MANY_REQUESTS]: 429,
  [ErrorCodes.QUEUE_FULL]: 429,
  [ErrorCodes.STORE_UNAVAILABLE]: 503,
  [ErrorCodes.CLOSED]: 503,
  [ErrorCodes.REQUEST_TIMEOUT]: 503,
  [ErrorCodes.NOT_READY]: 503,
  [ErrorCodes.PROVIDER_UNAVAILABLE]: 503,
  [ErrorCodes.PROVIDER_PAUSED]: 503,
};

/** The HTTP status an error code is answered with. */
export function statusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** The problem document of an error. */
export function problemOf(error: unknown): Problem {
  if (error instanceof StewardError) {
    const status = statusOf(error.code);
    return {
      type: `urn:steward:error:${error.code}`,
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: error.message,
      code: error.code,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  return {
    type: `urn:steward:error:${ErrorCodes.INTERNAL}`,
    title: STATUS_CODES[500] ?? 'Internal Server Error',
    status: 500,
    detail: 'the server failed on this request; its log says why',
    code: ErrorCodes.INTERNAL,
  };
}
