// The API client: the console's only way to the stack. It calls the public API on the same
// origin, under the prefix the console itself is served below ("/prod" in AWS, "" on
// `hookyard dev`), with the user's token as a bearer token, and turns the API's error
// envelopes into an ApiError that lists each problem and the field it names.
import { getToken } from "./session.js";

export const API_PREFIX = location.pathname.replace(/\/console(?:\/.*)?$/, "");

const PHRASES = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

// "webhook.endpoint: must be https" -> field "webhook.endpoint". A detail may join several
// problems with "; " (one per field); they are split where the next part names a field.
const FIELD_PROBLEM = /^([A-Za-z_][\w\-]*(?:\[\d+\])*(?:\.[\w\-]+(?:\[\d+\])*)*): ([\s\S]+)$/;
const NEXT_FIELD = /; (?=[A-Za-z_][\w.\-[\]]*: )/;

export class ApiError extends Error {
  constructor(status, details, method, path) {
    const phrase = PHRASES[status] || (status ? `HTTP ${status}` : "No answer");
    const text = details.length ? details.join("; ") : phrase;
    super(status ? `The API answered ${status} ${phrase}: ${text}` : `The API could not be reached: ${text}`);
    this.name = "ApiError";
    this.status = status;
    this.phrase = phrase;
    this.details = details;
    this.method = method;
    this.path = path;
  }

  // [{field, message}] for each problem; field is null when the problem names none.
  get problems() {
    const out = [];
    for (const detail of this.details) {
      for (const part of detail.split(NEXT_FIELD)) {
        const found = FIELD_PROBLEM.exec(part);
        out.push(found ? { field: found[1], message: found[2] } : { field: null, message: part });
      }
    }
    return out;
  }
}

// The details of an error body: the ZIS envelope {"errors":[{code, detail, status}]}, the
// v2 envelope {"errors":[{code, title, detail}]}, or API Gateway's own {"message"}.
function detailsOf(data) {
  if (data && typeof data === "object") {
    if (Array.isArray(data.errors)) {
      return data.errors.map((e) => String(e.detail || e.title || e.code || "error"));
    }
    if (typeof data.message === "string") return [data.message];
    if (typeof data.error === "string") return [data.error];
  }
  if (typeof data === "string" && data.trim()) return [data.trim().slice(0, 500)];
  return [];
}

let onUnauthorized = null;

// Called with the ApiError when the stored token is refused (revoked, or expired).
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export function apiUrl(path, query) {
  const url = new URL(API_PREFIX + path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  return url;
}

// Answers the parsed JSON body (null for an empty one); throws ApiError for any non-2xx.
// `json` is sent as JSON; `text` is sent as it is (a file's JSON). `token` signs in with a
// token that is not stored yet (and a 401 is then the caller's to explain).
export async function api(method, path, { query, json, text, signal, token } = {}) {
  const headers = { Accept: "application/json" };
  const bearer = token ?? getToken();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (text !== undefined) {
    headers["Content-Type"] = "application/json";
    body = text;
  }
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      body,
      signal,
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, [String(error.message || error)], method, path);
  }
  const raw = await response.text();
  let data = null;
  if (raw) {
    try {
      data = JSON.parse(raw);
    } catch {
      data = raw;
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, detailsOf(data), method, path);
    if (response.status === 401 && token === undefined && onUnauthorized) onUnauthorized(error);
    throw error;
  }
  return data;
}

export const enc = encodeURIComponent;
