/** The signed-in user and the typed API client, kept across reloads (localStorage). */
import { type PsicoClient, type Schemas, createPsicoClient } from "@psico/client";

const KEY = "psico.session";

export interface Session {
  token: string;
  user: Schemas["UserRead"];
}

function load(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

let current: Session | null = load();

/** The API's origin: the page's own unless the build says otherwise (VITE_API_URL). */
export const apiBase: string = (import.meta.env.VITE_API_URL as string | undefined) ?? "";

export const api: PsicoClient = createPsicoClient({
  baseUrl: apiBase,
  token: () => current?.token,
  language: "es",
});

export function session(): Session | null {
  return current;
}

export function signIn(value: Session): void {
  current = value;
  localStorage.setItem(KEY, JSON.stringify(value));
}

export function signOut(): void {
  current = null;
  localStorage.removeItem(KEY);
}

/** A single-use ticket for one socket handshake (POST /api/chat/ticket/). */
export async function socketTicket(): Promise<string | null> {
  const { data } = await api.POST("/api/chat/ticket/");
  return data?.ticket ?? null;
}

/** The first message of an API error body, for people. */
export function errorText(error: unknown, fallback: string): string {
  if (error && typeof error === "object") {
    for (const value of Object.values(error as Record<string, unknown>)) {
      if (typeof value === "string") {
        return value;
      }
      if (Array.isArray(value) && typeof value[0] === "string") {
        return value[0];
      }
    }
  }
  return fallback;
}
