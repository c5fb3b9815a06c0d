/**
 * What a front end does with the API, through the typed client: type-checked in CI against the
 * types generated from site/openapi.yaml, so a schema change that breaks a front end fails.
 * Never run; `tsc --noEmit` only.
 */
import {
  type ChatClientFrame,
  type ChatServerFrame,
  type NotificationsServerFrame,
  type PsicoClient,
  type Schemas,
  createPsicoClient,
  socketUrl,
} from "../src/index";

let token: string | null = null;
const api: PsicoClient = createPsicoClient({ baseUrl: "https://api.example.com", token: () => token });

export async function login(email: string, password: string): Promise<Schemas["UserRead"]> {
  const { data, error, response } = await api.POST("/api/auth/login/", {
    body: { email, password },
  });
  if (error) {
    throw new Error(`login refused (${response.status})`);
  }
  token = data.token;
  return data.user;
}

export async function me(): Promise<Schemas["UserRead"] | undefined> {
  const { data } = await api.GET("/api/users/me/");
  return data;
}

export async function directory(city?: string, search?: string): Promise<Schemas["ProfessionalPublic"][]> {
  const { data } = await api.GET("/api/professionals/", {
    params: { query: { city, search, page: 1 } },
  });
  return data?.results ?? [];
}

export async function professional(id: number): Promise<string | undefined> {
  const { data } = await api.GET("/api/professionals/{id}/", { params: { path: { id } } });
  return data?.full_name;
}

export async function search(date: string, specialization?: string): Promise<number[]> {
  const { data } = await api.GET("/api/appointments/search-psychologists/", {
    params: { query: { date, specialization } },
  });
  return (data?.results ?? []).map((result) => result.id);
}

export async function slots(psychologist: number, date: string): Promise<string[]> {
  const { data } = await api.GET("/api/appointments/available-slots/", {
    params: { query: { psychologist, date } },
  });
  return (data?.slots ?? []).map((slot: Schemas["Slot"]) => slot.start_time);
}

export async function book(
  psychologist: number,
  appointment_date: string,
  start_time: string,
): Promise<Schemas["Appointment"]> {
  const { data, error } = await api.POST("/api/appointments/appointments/", {
    body: { psychologist, appointment_date, start_time, reason: "Primera consulta" },
  });
  if (error) {
    throw new Error(JSON.stringify(error));
  }
  return data;
}

export async function myAppointments(): Promise<Schemas["StatusEnum"][]> {
  const { data } = await api.GET("/api/appointments/appointments/", {
    params: { query: { status: "confirmed", date_from: "2030-01-01" } },
  });
  return (data?.results ?? []).map((appointment) => appointment.status);
}

export async function confirm(id: number): Promise<Schemas["Appointment"] | undefined> {
  const { data } = await api.POST("/api/appointments/appointments/{id}/confirm/", {
    params: { path: { id } },
  });
  return data;
}

export async function cancel(id: number, reason: string): Promise<boolean> {
  const { data } = await api.POST("/api/appointments/appointments/{id}/cancel/", {
    params: { path: { id } },
    body: { reason },
  });
  return data?.status === "cancelled";
}

export async function chatHistory(appointment_id: number, before?: number): Promise<Schemas["ChatMessage"][]> {
  const { data } = await api.GET("/api/chat/{appointment_id}/messages/", {
    params: { path: { appointment_id }, query: { before, limit: 50 } },
  });
  return data?.results ?? [];
}

export async function sendOverRest(appointment_id: number, message: string): Promise<number | undefined> {
  const { data } = await api.POST("/api/chat/{appointment_id}/messages/", {
    params: { path: { appointment_id } },
    body: { message, client_id: crypto.randomUUID() },
  });
  return data?.id;
}

export async function inbox(): Promise<number> {
  const { data } = await api.GET("/api/chat/conversations/", { params: { query: { page: 1 } } });
  return (data?.results ?? []).reduce((sum, conversation) => sum + conversation.unread, 0);
}

export async function preferences(reminders: boolean): Promise<Schemas["NotificationPreference"] | undefined> {
  const current = await api.GET("/api/notifications/preferences/");
  if (current.data?.email_reminders === reminders) {
    return current.data;
  }
  const { data } = await api.PATCH("/api/notifications/preferences/", {
    body: { email_reminders: reminders },
  });
  return data;
}

/** A socket ticket (single use) for the chat and the notifications sockets. */
export async function openChat(appointment_id: number, onFrame: (frame: ChatServerFrame) => void): Promise<WebSocket> {
  const { data } = await api.POST("/api/chat/ticket/");
  const socket = new WebSocket(
    socketUrl("https://api.example.com", `ws/chat/${appointment_id}/`, { ticket: data?.ticket ?? "" }),
  );
  socket.onmessage = (event: MessageEvent<string>) => onFrame(JSON.parse(event.data) as ChatServerFrame);
  socket.onopen = () => {
    const frame: ChatClientFrame = { type: "resume", after: 0 };
    socket.send(JSON.stringify(frame));
  };
  return socket;
}

export async function openNotifications(onUnread: (appointment: number, unread: number) => void): Promise<WebSocket> {
  const { data } = await api.POST("/api/chat/ticket/");
  const socket = new WebSocket(socketUrl("https://api.example.com", "ws/notifications/", { ticket: data?.ticket ?? "" }));
  socket.onmessage = (event: MessageEvent<string>) => {
    const frame = JSON.parse(event.data) as NotificationsServerFrame;
    if (frame.type === "chat.unread") {
      onUnread(frame.appointment, frame.unread);
    }
  };
  return socket;
}

export async function logout(): Promise<void> {
  await api.POST("/api/auth/logout/");
  token = null;
}
