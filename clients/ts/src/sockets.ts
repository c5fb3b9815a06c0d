/**
 * Frames of the two sockets, as site/asyncapi.yaml documents them (`ws/chat/<id>/`,
 * `ws/notifications/`). A chat.message frame carries the fields of the REST API's ChatMessage.
 */
import type { components } from "../generated/schema";

type ChatMessage = components["schemas"]["ChatMessage"];
type ChatUser = components["schemas"]["ChatUser"];
type AppointmentStatus = components["schemas"]["StatusEnum"];

/** Frames a client sends on `ws/chat/<id>/`. */
export type ChatClientFrame =
  | { type: "chat.message"; message: string; client_id?: string }
  | { type: "typing" }
  | { type: "read"; message_id: number }
  | { type: "history"; before?: number; limit?: number }
  | { type: "resume"; after: number };

export interface ErrorFrame {
  type: "error";
  code: string;
  detail: string;
}

/** Frames the server sends on `ws/chat/<id>/`. */
export type ChatServerFrame =
  | ({ type: "chat.message" } & ChatMessage)
  | { type: "typing"; user: ChatUser }
  | { type: "read"; message_id: number; user: ChatUser }
  | { type: "history"; before: number | null; messages: ChatMessage[]; has_more: boolean }
  | { type: "resume"; after: number; count: number; last_id: number }
  | ErrorFrame;

/** Frames a client sends on `ws/notifications/`. */
export type NotificationsClientFrame = { type: "ping" };

/** Frames the server sends on `ws/notifications/`. */
export type NotificationsServerFrame =
  | { type: "pong" }
  | { type: "chat.unread"; appointment: number; unread: number }
  | { type: "appointment.updated"; appointment: number; status: AppointmentStatus; event: string }
  | ErrorFrame;

/** Close codes of both sockets. */
export const CloseCode = {
  notAuthenticated: 4401,
  forbidden: 4403,
  notFound: 4404,
  internalError: 1011,
  tryAgainLater: 1013,
} as const;
