/**
 * X-Request-ID: a client's id is kept when it is short and plain (so it can go into logs
 * and headers unescaped); anything else is replaced by a generated `req-<nanos>-<hex>`.
 */
import { generateRequestId } from '../core/ids.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE = /^[A-Za-z0-9._:@-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && ACCEPTABLE.test(value) ? value : generateRequestId();
}
