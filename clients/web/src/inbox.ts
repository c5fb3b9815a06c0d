/** The unread badge of the header, kept live by ws/notifications/. */
import { type NotificationsServerFrame, socketUrl } from "@psico/client";

import { h } from "./dom";
import { api, apiBase, session, socketTicket } from "./session";

const unread = new Map<number, number>();
const listeners = new Set<(frame: NotificationsServerFrame) => void>();
let socket: WebSocket | null = null;
let retry: number | undefined;
let keepAlive: number | undefined;

export const badge = h("span", { class: "badge", id: "inbox-badge", "aria-live": "polite" }, "");

function paint(): void {
  let total = 0;
  for (const count of unread.values()) {
    total += count;
  }
  badge.textContent = total ? `${total} sin leer` : "";
  badge.hidden = total === 0;
  badge.dataset.count = String(total);
}

/** Called for every frame of the notifications socket (the appointments page refreshes). */
export function onNotification(listener: (frame: NotificationsServerFrame) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function refreshInbox(): Promise<void> {
  const { data } = await api.GET("/api/chat/conversations/", { params: { query: { page: 1 } } });
  unread.clear();
  for (const conversation of data?.results ?? []) {
    unread.set(conversation.appointment.id, conversation.unread);
  }
  paint();
}

export async function connectInbox(): Promise<void> {
  disconnectInbox();
  if (!session()) {
    return;
  }
  await refreshInbox();
  const ticket = await socketTicket();
  if (!ticket || !session()) {
    return;
  }
  const ws = new WebSocket(socketUrl(apiBase, "ws/notifications/", { ticket }));
  socket = ws;
  ws.addEventListener("message", (event: MessageEvent<string>) => {
    const frame = JSON.parse(event.data) as NotificationsServerFrame;
    if (frame.type === "chat.unread") {
      unread.set(frame.appointment, frame.unread);
      paint();
    }
    for (const listener of listeners) {
      listener(frame);
    }
  });
  ws.addEventListener("open", () => {
    keepAlive = window.setInterval(() => ws.send(JSON.stringify({ type: "ping" })), 30_000);
  });
  ws.addEventListener("close", (event) => {
    window.clearInterval(keepAlive);
    if (socket === ws && event.code !== 4401 && session()) {
      // Values are absolute: after a reconnection the REST API gives the current counts.
      retry = window.setTimeout(() => void connectInbox(), 2000);
    }
  });
}

export function disconnectInbox(): void {
  window.clearTimeout(retry);
  window.clearInterval(keepAlive);
  const ws = socket;
  socket = null;
  ws?.close();
  unread.clear();
  paint();
}

/** The chat page reports that the user has read a conversation. */
export function markConversationRead(appointment: number): void {
  unread.set(appointment, 0);
  paint();
}
