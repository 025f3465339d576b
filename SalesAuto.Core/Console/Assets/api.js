// Every call the console makes: same origin, JSON, the admin key in the x-functions-key header
// (never in the URL: URLs end up in logs and browser history). The key lives in sessionStorage
// only: gone when the tab closes, never sent anywhere but this origin's admin routes.

const STORAGE_KEY = 'salesauto.console.key';

export function getKey() {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function setKey(key) {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** An answer that was not 2xx, with its problem+json body when there is one. */
export class ApiError extends Error {
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem;
  }

  /** The server has no such route: a feature this server does not have (yet). */
  get routeMissing() {
    if (this.status !== 404) return false;
    // SalesAuto answers an unknown route with "No route matches ..."; a host in front of it may
    // answer with an empty or non-problem body. A 404 about a thing (an id) is not this.
    const detail = this.problem?.detail;
    return typeof detail !== 'string' || detail.startsWith('No route matches');
  }
}

let onUnauthorized = () => {};

/** What to do when the server refuses the key (401): set by the app. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/**
 * Calls /api/{path}. Resolves with the parsed JSON body; rejects with ApiError on anything but 2xx
 * (a 401 also calls the unauthorized handler). accept: extra statuses that still resolve
 * (GET /api/health answers 503 with its report).
 */
export async function api(path, { method = 'GET', body, key, accept = [] } = {}) {
  const headers = { accept: 'application/json' };
  const sentKey = key ?? getKey();
  if (sentKey) headers['x-functions-key'] = sentKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
  } catch (error) {
    throw new ApiError(0, null, `The server could not be reached (${error.message}). Check the connection and try again.`);
  }

  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (response.ok || accept.includes(response.status)) return data;
  const error = new ApiError(response.status, data, describe(response, data));
  if (response.status === 401 && key === undefined) onUnauthorized(error);
  throw error;
}

function describe(response, problem) {
  const detail = typeof problem?.detail === 'string' ? problem.detail : '';
  const id = typeof problem?.correlationId === 'string' ? ` (correlation id ${problem.correlationId})` : '';
  switch (response.status) {
    case 401: return 'The server refused the admin key. Check it and enter it again.';
    case 403: return `Refused: ${detail || 'this origin is not allowed.'}`;
    case 429: return `Too many requests: wait ${response.headers.get('Retry-After') ?? 'a few'} seconds and try again.`;
    case 503: return `A dependency is down: ${detail || 'the server cannot answer now.'} Try again later.`;
    case 500: return `The server failed${id}. Report the correlation id.`;
    default: return detail ? `${detail}${id}` : `The server answered ${response.status}${id}.`;
  }
}

/** A query string from an object, skipping empty values. */
export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }

  const text = search.toString();
  return text ? `?${text}` : '';
}
