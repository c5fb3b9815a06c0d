/** A few DOM helpers: every text goes in through textContent, never as HTML. */
type Attributes = Record<string, string | boolean | number | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) {
      continue;
    }
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child);
    }
  }
  return element;
}

/** Replaces the main landmark's content and moves focus to its heading. */
export function render(title: string, ...children: Child[]): HTMLElement {
  const main = document.getElementById("main") as HTMLElement;
  const heading = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(heading, ...children.filter((child): child is Node | string => Boolean(child)));
  document.title = `${title} · Psico`;
  heading.focus({ preventScroll: true });
  return main;
}

export function status(text: string, kind: "info" | "error" = "info"): HTMLElement {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function field(label: string, input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement): HTMLElement {
  if (!input.id) {
    input.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  }
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
}

const dateFormat = new Intl.DateTimeFormat("es-BO", { weekday: "long", day: "numeric", month: "long" });
const timeFormat = new Intl.DateTimeFormat("es-BO", { hour: "2-digit", minute: "2-digit" });

export function longDate(isoDate: string): string {
  return dateFormat.format(new Date(`${isoDate}T12:00:00`));
}

export function clock(isoDateTime: string): string {
  return timeFormat.format(new Date(isoDateTime));
}

/** YYYY-MM-DD of today plus `days`, in the browser's time zone. */
export function isoDay(days = 0): string {
  const day = new Date();
  day.setDate(day.getDate() + days);
  const month = String(day.getMonth() + 1).padStart(2, "0");
  return `${day.getFullYear()}-${month}-${String(day.getDate()).padStart(2, "0")}`;
}
