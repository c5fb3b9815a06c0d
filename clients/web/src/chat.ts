/**
 * The chat of one appointment over ws/chat/<id>/: history from the REST API, then the socket,
 * which sends `resume` with the newest id held, so a reconnection or a reload loses nothing.
 * Messages not yet acknowledged stay in sessionStorage with their client_id and are sent again
 * after a reload (the server stores a client_id once).
 */
import { type ChatClientFrame, type ChatServerFrame, CloseCode, type Schemas, socketUrl } from "@psico/client";

import { field, h, render, status } from "./dom";
import { markConversationRead } from "./inbox";
import { api, apiBase, session, socketTicket } from "./session";

type Message = Schemas["ChatMessage"];
interface Pending {
  client_id: string;
  message: string;
}

let active: { close: () => void } | null = null;

export function leaveChat(): void {
  active?.close();
  active = null;
}

const timeFormat = new Intl.DateTimeFormat("es-BO", { hour: "2-digit", minute: "2-digit" });

export async function chatView(appointmentId: number): Promise<void> {
  leaveChat();
  const me = session()?.user;
  if (!me) {
    return;
  }
  const pendingKey = `psico.pending.${appointmentId}`;
  const pending: Pending[] = JSON.parse(sessionStorage.getItem(pendingKey) ?? "[]") as Pending[];
  const savePending = () => sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  const messages = new Map<number, Message>();
  let lastId = 0;
  let closed = false;
  let socket: WebSocket | null = null;
  let retry: number | undefined;
  let typingTimer: number | undefined;
  let lastTypingSent = 0;

  const list = h("ol", {});
  // Focusable, so the conversation can be scrolled with the keyboard.
  const log = h("div", { class: "messages", role: "log", "aria-live": "polite", "aria-label": "Mensajes", tabindex: 0 }, list);
  const connection = h("p", { class: "connection", role: "status" }, "Conectando…");
  const typing = h("p", { class: "typing", "aria-live": "polite" }, "");
  const input = h("textarea", { name: "message", rows: 2, maxlength: 2000, required: true });
  const send = h("button", { type: "submit" }, "Enviar");
  const form = h("form", { class: "composer", "aria-label": "Escribir un mensaje" }, field("Mensaje", input), send);
  const other = h("p", { class: "subtitle" }, "");
  render("Chat de la cita", other, connection, log, typing, form, h("p", {}, h("a", { href: "#/citas" }, "Volver a mis citas")));

  function item(message: Message | Pending, sending: boolean): HTMLLIElement {
    const mine = sending || (message as Message).sender.id === me!.id;
    const li = h(
      "li",
      { class: mine ? "mine" : "theirs", "data-id": sending ? undefined : (message as Message).id },
      h("span", { class: "who" }, mine ? "Tú" : (message as Message).sender.name),
      h("span", { class: "text" }, message.message),
      h(
        "span",
        { class: "when" },
        sending ? "enviando…" : timeFormat.format(new Date((message as Message).created_at)),
      ),
    );
    if (sending) {
      li.dataset.clientId = message.client_id ?? "";
    }
    return li;
  }

  function paint(): void {
    const ordered = [...messages.values()].sort((a, b) => a.id - b.id);
    list.replaceChildren(
      ...ordered.map((message) => item(message, false)),
      ...pending.map((message) => item(message, true)),
    );
    log.scrollTop = log.scrollHeight;
  }

  function transmit(frame: ChatClientFrame): boolean {
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function readUpTo(): void {
    const newestTheirs = [...messages.values()].filter((m) => m.sender.id !== me!.id).map((m) => m.id);
    if (newestTheirs.length && document.visibilityState === "visible") {
      const newest = Math.max(...newestTheirs);
      if (transmit({ type: "read", message_id: newest })) {
        markConversationRead(appointmentId);
      }
    }
  }

  function receive(message: Message): void {
    messages.set(message.id, message);
    lastId = Math.max(lastId, message.id);
    const index = pending.findIndex((p) => p.client_id === message.client_id);
    if (index >= 0) {
      pending.splice(index, 1);
      savePending();
    }
  }

  async function connect(): Promise<void> {
    const ticket = await socketTicket();
    if (closed) {
      return;
    }
    if (!ticket) {
      connection.textContent = "No se pudo conectar al chat.";
      return;
    }
    const ws = new WebSocket(socketUrl(apiBase, `ws/chat/${appointmentId}/`, { ticket }));
    socket = ws;
    ws.addEventListener("open", () => {
      connection.textContent = "Conectado";
      connection.dataset.state = "open";
      transmit({ type: "resume", after: lastId });
      for (const message of pending) {
        transmit({ type: "chat.message", message: message.message, client_id: message.client_id });
      }
    });
    ws.addEventListener("message", (event: MessageEvent<string>) => {
      const frame = JSON.parse(event.data) as ChatServerFrame;
      switch (frame.type) {
        case "chat.message": {
          const { type: _type, ...message } = frame;
          receive(message);
          paint();
          readUpTo();
          break;
        }
        case "typing":
          typing.textContent = `${frame.user.name} está escribiendo…`;
          window.clearTimeout(typingTimer);
          typingTimer = window.setTimeout(() => (typing.textContent = ""), 3000);
          break;
        case "resume":
          readUpTo();
          break;
        case "error":
          connection.textContent = frame.detail;
          break;
        default:
          break;
      }
    });
    ws.addEventListener("close", (event) => {
      connection.dataset.state = "closed";
      if (closed || socket !== ws) {
        return;
      }
      if (event.code === CloseCode.forbidden || event.code === CloseCode.notFound) {
        connection.textContent = "Este chat no está disponible.";
        return;
      }
      connection.textContent = "Sin conexión; reconectando…";
      retry = window.setTimeout(() => void connect(), 1500);
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) {
      return;
    }
    const message: Pending = { client_id: crypto.randomUUID(), message: text };
    pending.push(message);
    savePending();
    input.value = "";
    paint();
    transmit({ type: "chat.message", ...message });
  });
  input.addEventListener("input", () => {
    if (Date.now() - lastTypingSent > 2000) {
      lastTypingSent = Date.now();
      transmit({ type: "typing" });
    }
  });

  active = {
    close() {
      closed = true;
      window.clearTimeout(retry);
      socket?.close();
    },
  };

  const [history, appointment] = await Promise.all([
    api.GET("/api/chat/{appointment_id}/messages/", {
      params: { path: { appointment_id: appointmentId }, query: { limit: 50 } },
    }),
    api.GET("/api/appointments/appointments/{id}/", { params: { path: { id: appointmentId } } }),
  ]);
  if (closed) {
    return;
  }
  if (history.error || !history.data) {
    log.replaceWith(status("No encontramos este chat.", "error"));
    connection.remove();
    form.remove();
    return;
  }
  if (appointment.data) {
    const person = me.id === appointment.data.patient.id ? appointment.data.psychologist : appointment.data.patient;
    other.textContent = `Con ${person.first_name} ${person.last_name}`;
  }
  for (const message of history.data.results) {
    receive(message);
  }
  paint();
  await connect();
}
