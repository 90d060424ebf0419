// The dashboard's only way to the server: the public JSON API under /api/v1, with the session
// cookie and the CSRF token the login answered. Paths, parameters and bodies are typed by
// schema.d.ts, which `npm run gen` writes from docs/api/openapi.yaml, so a change of the API that
// the dashboard does not follow fails `npm run typecheck`.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Role = Schemas["Role"];

type Method = "get" | "post" | "put" | "patch" | "delete";
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends undefined | never ? never : P;
}[keyof paths];

type JsonOf<R> = R extends { content: { "application/json": infer B } } ? B : undefined;
type Responses<Op> = Op extends { responses: infer R } ? R : never;
// the body of the success answer (200, 201 or 204)
export type Answer<P extends keyof paths, M extends Method> =
  Responses<Operation<P, M>> extends infer R
    ? 200 extends keyof R
      ? JsonOf<R[200]>
      : 201 extends keyof R
        ? JsonOf<R[201]>
        : undefined
    : never;
type Params<Op> = Op extends { parameters: infer Prm } ? Prm : never;
type PathParams<Op> = Params<Op> extends { path: infer T } ? T : never;
type QueryParams<Op> = Params<Op> extends { query?: infer T } ? T : never;
type BodyOf<Op> = Op extends { requestBody: { content: { "application/json": infer B } } }
  ? B
  : Op extends { requestBody?: { content: { "application/json": infer B } } }
    ? B
    : never;

export interface Options<Op> {
  path?: PathParams<Op>;
  query?: QueryParams<Op>;
  body?: BodyOf<Op>;
}

// An error answer of the API: {"error": {"code", "message", "field"}}
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

// The CSRF token lives as long as the tab (a reload keeps it, closing the tab forgets it), like
// the session it belongs to.
const CSRF_KEY = "mailcast.csrf";
export function setCsrfToken(token: string | null): void {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

// The token to send as X-CSRF-Token with a write the typed client cannot make (a file upload).
export function csrfToken(): string | null {
  return sessionStorage.getItem(CSRF_KEY);
}

// Called when the API answers 401: the session ended, the app goes back to the login page.
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

function buildUrl(template: string, path?: object, query?: object): string {
  let url = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = (path as Record<string, unknown> | undefined)?.[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== null) search.set(key, String(value));
  const qs = search.toString();
  if (qs) url += "?" + qs;
  return url;
}

async function call(method: Method, template: string, opts: Options<unknown>): Promise<unknown> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "get") {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(buildUrl(template, opts.path as object, opts.query as object), {
    method: method.toUpperCase(),
    headers,
    body,
    credentials: "same-origin",
  });
  if (res.status === 204) return undefined;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; field?: string } })?.error;
    if (res.status === 401 && template !== "/api/v1/auth/login") onUnauthorized();
    throw new ApiError(res.status, e?.code ?? "http_" + res.status, e?.message ?? res.statusText, e?.field);
  }
  return json;
}

export const api = {
  get<P extends PathsWith<"get">>(path: P, opts: Options<Operation<P, "get">> = {}) {
    return call("get", path, opts as Options<unknown>) as Promise<Answer<P, "get">>;
  },
  post<P extends PathsWith<"post">>(path: P, opts: Options<Operation<P, "post">> = {}) {
    return call("post", path, opts as Options<unknown>) as Promise<Answer<P, "post">>;
  },
  put<P extends PathsWith<"put">>(path: P, opts: Options<Operation<P, "put">> = {}) {
    return call("put", path, opts as Options<unknown>) as Promise<Answer<P, "put">>;
  },
  patch<P extends PathsWith<"patch">>(path: P, opts: Options<Operation<P, "patch">> = {}) {
    return call("patch", path, opts as Options<unknown>) as Promise<Answer<P, "patch">>;
  },
  delete<P extends PathsWith<"delete">>(path: P, opts: Options<Operation<P, "delete">> = {}) {
    return call("delete", path, opts as Options<unknown>) as Promise<Answer<P, "delete">>;
  },
};
