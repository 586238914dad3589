import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { addressProblem, lookupRefusing, PrivateAddressError } from './address.js';

/** How many redirects a guarded request follows. */
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A request without a body (what an untrusted run sends: pulls and token requests). */
export interface GuardedInit {
  method: string;
  headers: Record<string, string>;
}

/**
 * `fetch` for untrusted runs: connects only to public addresses (every address a name resolves to is checked
 * at connect time; an IP literal is checked before) and follows redirects itself, checking each target the same
 * way and dropping the Authorization header when a redirect leaves the origin. `problem` says which addresses are
 * refused (`addressProblem`; tests give a rule that lets one loopback address stand for the public internet).
 */
export async function guardedFetch(
  url: URL,
  init: GuardedInit,
  problem: (address: string) => string | undefined = addressProblem,
): Promise<Response> {
  let current = url;
  let headers = { ...init.headers };
  let method = init.method;
  for (let hop = 0; ; hop++) {
    const response = await requestOnce(current, method, headers, problem);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || typeof location !== 'string')
      return toResponse(response, method);
    response.resume();
    if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:')
      throw new Error('a redirect to another scheme');
    if (next.origin !== current.origin) {
      const { authorization: _dropped, ...rest } = headers;
      headers = rest;
    }
    if (response.statusCode === 303) method = 'GET';
    current = next;
  }
}

/** One request to a checked address. */
function requestOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  problem: (address: string) => string | undefined,
): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && problem(host) !== undefined)
    return Promise.reject(new PrivateAddressError(url.hostname));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method, headers, lookup: lookupRefusing(problem) as never }, resolve);
    request.once('error', reject);
    request.end();
  });
}

/** A Node response as a fetch Response (status, headers, streamed body). */
function toResponse(message: IncomingMessage, method: string): Response {
  const status = message.statusCode ?? 0;
  if (status < 200 || status > 599) {
    message.resume();
    throw new Error('an answer that is not HTTP');
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers))
    for (const one of Array.isArray(value) ? value : [value])
      if (one !== undefined) headers.append(name, one);
  const empty = method === 'HEAD' || [204, 205, 304].includes(status);
  if (empty) message.resume();
  return new Response(empty ? null : (Readable.toWeb(message) as ReadableStream), { status, headers });
}
