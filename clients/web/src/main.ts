/** Psico's reference web client: hash routes, one view each, Spanish throughout. */
import type { Schemas } from "@psico/client";

import { chatView, leaveChat } from "./chat";
import { field, h, isoDay, longDate, render, status } from "./dom";
import { badge, connectInbox, disconnectInbox, onNotification } from "./inbox";
import { api, errorText, session, signIn, signOut } from "./session";
import "./style.css";

const STATUS: Record<Schemas["StatusEnum"], string> = {
  pending: "Pendiente",
  confirmed: "Confirmada",
  cancelled: "Cancelada",
  completed: "Realizada",
  no_show: "No asistió",
};

let flash: string | null = null;
let stopListening: (() => void) | null = null;

function go(hash: string, message?: string): void {
  flash = message ?? null;
  if (location.hash === hash) {
    void route();
  } else {
    location.hash = hash;
  }
}

function takeFlash(): HTMLElement | null {
  const text = flash;
  flash = null;
  return text ? status(text) : null;
}

function navigation(): void {
  const nav = document.getElementById("nav") as HTMLElement;
  const user = session()?.user;
  if (!user) {
    nav.replaceChildren(h("ul", {}, h("li", {}, h("a", { href: "#/entrar" }, "Entrar"))));
    return;
  }
  const logout = h("button", { type: "button", class: "link" }, "Salir");
  logout.addEventListener("click", async () => {
    await api.POST("/api/auth/logout/");
    signOut();
    disconnectInbox();
    go("#/entrar", "Sesión cerrada.");
  });
  nav.replaceChildren(
    h(
      "ul",
      {},
      user.user_type !== "professional" ? h("li", {}, h("a", { href: "#/profesionales" }, "Profesionales")) : null,
      h("li", {}, h("a", { href: "#/citas" }, "Mis citas")),
      h("li", {}, h("a", { href: "#/mensajes", id: "inbox-link" }, "Mensajes ", badge)),
      h("li", {}, h("span", { class: "who-am-i" }, user.full_name || user.email)),
      h("li", {}, logout),
    ),
  );
}

// --- Entrar ----------------------------------------------------------------------------------

function loginView(): void {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const problem = h("div", {});
  const form = h(
    "form",
    { "aria-label": "Entrar" },
    field("Correo electrónico", email),
    field("Contraseña", password),
    h("button", { type: "submit" }, "Entrar"),
    problem,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { data, error } = await api.POST("/api/auth/login/", {
      body: { email: email.value, password: password.value },
    });
    if (!data) {
      problem.replaceChildren(status(errorText(error, "No se pudo iniciar sesión."), "error"));
      return;
    }
    signIn({ token: data.token, user: data.user });
    void connectInbox();
    go(data.user.user_type === "professional" ? "#/citas" : "#/profesionales", `Hola, ${data.user.first_name}.`);
  });
  render("Entrar", takeFlash(), h("p", {}, "Entra con tu cuenta de Psico."), form);
}

// --- Profesionales ---------------------------------------------------------------------------

async function directoryView(query: URLSearchParams): Promise<void> {
  const search = h("input", { type: "search", name: "search", value: query.get("q") ?? "" });
  const city = h("input", { type: "text", name: "city", value: query.get("ciudad") ?? "" });
  const form = h(
    "form",
    { role: "search", "aria-label": "Buscar profesionales", class: "inline" },
    field("Nombre o especialidad", search),
    field("Ciudad", city),
    h("button", { type: "submit" }, "Buscar"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    if (search.value) params.set("q", search.value);
    if (city.value) params.set("ciudad", city.value);
    go(`#/profesionales?${params}`);
  });
  const results = h("ul", { class: "cards", "aria-label": "Resultados" });
  render("Encuentra a tu profesional", takeFlash(), form, results);
  const { data } = await api.GET("/api/professionals/", {
    params: { query: { search: search.value || undefined, city: city.value || undefined } },
  });
  const people = data?.results ?? [];
  if (!people.length) {
    results.replaceWith(status("No hay profesionales que coincidan con la búsqueda."));
    return;
  }
  results.replaceChildren(
    ...people.map((person) =>
      h(
        "li",
        { class: "card" },
        h("h2", {}, person.full_name),
        h("p", {}, person.specializations.map((s) => s.name).join(", ") || "Psicología general"),
        h("p", { class: "meta" }, [person.city, person.consultation_fee ? `Bs ${person.consultation_fee}` : ""].filter(Boolean).join(" · ")),
        h("a", { href: `#/profesional/${person.id}`, class: "button" }, `Ver horarios de ${person.full_name}`),
      ),
    ),
  );
}

async function professionalView(id: number, query: URLSearchParams): Promise<void> {
  const day = query.get("fecha") ?? isoDay(1);
  const { data: person } = await api.GET("/api/professionals/{id}/", { params: { path: { id } } });
  if (!person) {
    render("Profesional no encontrado", status("No encontramos a este profesional.", "error"));
    return;
  }
  const date = h("input", { type: "date", name: "fecha", value: day, min: isoDay(0) });
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 2000 });
  const picker = h("form", { class: "inline", "aria-label": "Elegir fecha" }, field("Fecha", date), h("button", { type: "submit" }, "Ver horarios"));
  picker.addEventListener("submit", (event) => {
    event.preventDefault();
    go(`#/profesional/${id}?fecha=${date.value}`);
  });
  const slotList = h("ul", { class: "slots", "aria-label": "Horarios libres" });
  const problem = h("div", {});
  render(
    person.full_name,
    takeFlash(),
    h("p", {}, person.bio || "Profesional de Psico."),
    picker,
    h("h2", {}, `Horarios libres del ${longDate(day)}`),
    field("Motivo de la consulta (opcional)", reason),
    problem,
    slotList,
  );
  const { data } = await api.GET("/api/appointments/available-slots/", {
    params: { query: { psychologist: id, date: day } },
  });
  const slots = data?.slots ?? [];
  if (!slots.length) {
    slotList.replaceWith(status("No hay horarios libres ese día. Prueba con otra fecha."));
    return;
  }
  slotList.replaceChildren(
    ...slots.map((slot) => {
      const book = h("button", { type: "button", class: "slot" }, `Reservar a las ${slot.start_time}`);
      book.addEventListener("click", async () => {
        if (!session()) {
          go("#/entrar", "Entra para reservar.");
          return;
        }
        book.disabled = true;
        const { data: booked, error } = await api.POST("/api/appointments/appointments/", {
          body: { psychologist: id, appointment_date: day, start_time: slot.start_time, reason: reason.value },
        });
        if (!booked) {
          book.disabled = false;
          problem.replaceChildren(status(errorText(error, "No se pudo reservar."), "error"));
          return;
        }
        go("#/citas", `Reservaste el ${longDate(booked.appointment_date)} a las ${booked.start_time}.`);
      });
      return h("li", {}, book);
    }),
  );
}

// --- Mis citas -------------------------------------------------------------------------------

async function appointmentsView(): Promise<void> {
  const me = session()!.user;
  const table = h("table", { class: "appointments" });
  const problem = h("div", {});
  render("Mis citas", takeFlash(), problem, table);
  const { data } = await api.GET("/api/appointments/appointments/", {
    params: { query: { date_from: isoDay(-7), ordering: "start" } },
  });
  const rows = data?.results ?? [];
  if (!rows.length) {
    table.replaceWith(status("Todavía no tienes citas."));
    return;
  }
  table.replaceChildren(
    h("caption", {}, "Tus citas desde la semana pasada"),
    h(
      "thead",
      {},
      h("tr", {}, h("th", { scope: "col" }, "Fecha"), h("th", { scope: "col" }, "Hora"), h("th", { scope: "col" }, "Con"), h("th", { scope: "col" }, "Estado"), h("th", { scope: "col" }, "Acciones")),
    ),
    h("tbody", {}, ...rows.map((appointment) => appointmentRow(appointment, me.id, problem))),
  );
}

function appointmentRow(appointment: Schemas["Appointment"], myId: number, problem: HTMLElement): HTMLTableRowElement {
  const other = appointment.patient.id === myId ? appointment.psychologist : appointment.patient;
  const name = `${other.first_name} ${other.last_name}`;
  const actions = h("td", { class: "actions" });
  const isProfessional = appointment.psychologist.id === myId;
  if (isProfessional && appointment.status === "pending") {
    const confirm = h("button", { type: "button" }, `Confirmar cita con ${name}`);
    confirm.addEventListener("click", async () => {
      const { data, error } = await api.POST("/api/appointments/appointments/{id}/confirm/", {
        params: { path: { id: appointment.id } },
      });
      if (!data) {
        problem.replaceChildren(status(errorText(error, "No se pudo confirmar."), "error"));
        return;
      }
      go("#/citas", "Cita confirmada.");
    });
    actions.append(confirm);
  }
  if (appointment.status === "pending" || appointment.status === "confirmed") {
    const cancel = h("button", { type: "button", class: "secondary" }, `Cancelar cita con ${name}`);
    cancel.addEventListener("click", () => {
      const reason = h("input", { type: "text", name: "reason", required: true, maxlength: 500 });
      const form = h("form", { class: "inline", "aria-label": `Cancelar cita con ${name}` }, field("Motivo de la cancelación", reason), h("button", { type: "submit" }, "Confirmar cancelación"));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const { data, error } = await api.POST("/api/appointments/appointments/{id}/cancel/", {
          params: { path: { id: appointment.id } },
          body: { reason: reason.value },
        });
        if (!data) {
          problem.replaceChildren(status(errorText(error, "No se pudo cancelar."), "error"));
          return;
        }
        go("#/citas", "Cita cancelada.");
      });
      cancel.replaceWith(form);
      reason.focus();
    });
    actions.append(cancel);
  }
  actions.append(h("a", { href: `#/chat/${appointment.id}`, class: "button" }, `Chat con ${name}`));
  return h(
    "tr",
    { "data-appointment": appointment.id },
    h("td", {}, longDate(appointment.appointment_date)),
    h("td", {}, `${appointment.start_time}–${appointment.end_time}`),
    h("td", {}, name),
    h("td", { class: `state ${appointment.status}` }, STATUS[appointment.status]),
    actions,
  );
}

// --- Mensajes --------------------------------------------------------------------------------

async function inboxView(): Promise<void> {
  const list = h("ul", { class: "cards", "aria-label": "Conversaciones" });
  render("Mensajes", list);
  const { data } = await api.GET("/api/chat/conversations/", { params: { query: { page: 1 } } });
  const conversations = data?.results ?? [];
  if (!conversations.length) {
    list.replaceWith(status("Todavía no tienes conversaciones."));
    return;
  }
  list.replaceChildren(
    ...conversations.map((conversation) =>
      h(
        "li",
        { class: "card" },
        h("h2", {}, conversation.other_participant.name),
        h("p", { class: "meta" }, `Cita del ${longDate(conversation.appointment.appointment_date)} a las ${conversation.appointment.start_time}`),
        h("p", {}, conversation.last_message ? conversation.last_message.message : ""),
        conversation.unread ? h("p", { class: "unread" }, `${conversation.unread} sin leer`) : null,
        h("a", { href: `#/chat/${conversation.appointment.id}`, class: "button" }, `Abrir chat con ${conversation.other_participant.name}`),
      ),
    ),
  );
}

// --- Router ----------------------------------------------------------------------------------

async function route(): Promise<void> {
  leaveChat();
  stopListening?.();
  stopListening = null;
  navigation();
  const [path = "", search = ""] = location.hash.replace(/^#/, "").split("?");
  const query = new URLSearchParams(search);
  const parts = path.split("/").filter(Boolean);
  if (!session()) {
    if (parts[0] === "profesionales") return directoryView(query);
    if (parts[0] === "profesional" && parts[1]) return professionalView(Number(parts[1]), query);
    return loginView();
  }
  switch (parts[0]) {
    case "profesionales":
      return directoryView(query);
    case "profesional":
      return professionalView(Number(parts[1]), query);
    case "citas":
      stopListening = onNotification((frame) => {
        if (frame.type === "appointment.updated") void appointmentsView();
      });
      return appointmentsView();
    case "mensajes":
      return inboxView();
    case "chat":
      return chatView(Number(parts[1]));
    case "entrar":
      return loginView();
    default:
      return session()!.user.user_type === "professional" ? appointmentsView() : directoryView(query);
  }
}

window.addEventListener("hashchange", () => void route());
void route();
if (session()) {
  void connectInbox();
}
