/**
 * Typed client of the Psico API.
 *
 * `generated/schema.d.ts` comes from `site/openapi.yaml` (`npm run generate`, never committed):
 * every path, parameter and body below is checked against the schema the server publishes, so
 * a schema change that breaks a front end fails `tsc --noEmit`.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, paths } from "../generated/schema";

export type { components, paths };
export type Schemas = components["schemas"];

export type PsicoClient = Client<paths>;

export interface PsicoClientOptions {
  /** Origin of the API, e.g. "https://api.example.com" ("" for the page's own origin). */
  baseUrl?: string;
  /** The token of `/api/auth/login/`, read on every request (it changes at login/logout). */
  token?: () => string | null | undefined;
  /** Language of the server's messages; Spanish unless told. */
  language?: string;
  fetch?: typeof globalThis.fetch;
}

/** An openapi-fetch client that sends `Authorization: Token <key>` and `Accept-Language`. */
export function createPsicoClient(options: PsicoClientOptions = {}): PsicoClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? "",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const headers: Middleware = {
    onRequest({ request }) {
      const token = options.token?.();
      if (token) {
        request.headers.set("Authorization", `Token ${token}`);
      }
      request.headers.set("Accept-Language", options.language ?? "es");
      return request;
    },
  };
  client.use(headers);
  return client;
}

/** The WebSocket URL of a path (`ws/chat/<id>/`, `ws/notifications/`) on the API's origin. */
export function socketUrl(baseUrl: string, path: string, query: Record<string, string> = {}): string {
  const origin = baseUrl || globalThis.location.origin;
  const url = new URL(path.replace(/^\//, ""), origin.endsWith("/") ? origin : `${origin}/`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  for (const [name, value] of Object.entries(query)) {
    url.searchParams.set(name, value);
  }
  return url.toString();
}

export * from "./sockets";
