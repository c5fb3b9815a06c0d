"""The reference web client (clients/web, served at /app/) in two browsers at once.

A patient and a professional, each in their own Chromium context: the patient finds the
professional, sees the free slots and books; the professional confirms (the patient's page
follows live); both open the appointment's chat and talk both ways in real time; a reload, and
a page left and opened again while the other side wrote, lose nothing. axe-core runs on every
screen and must report no serious or critical violation. Screenshots and the axe figures go to
the artifacts folder (screenshots/web-*.png, web-client-axe.json).

The build comes from ``npm run build`` in clients/ (CI's clients step). Without it the test is
skipped, unless PSICO_REQUIRE_WEB_CLIENT=1 (CI) makes that a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, CHROMIUM_ARGS, NetworkLog, screenshot_path

pytestmark = pytest.mark.browser

CLIENTS = Path(__file__).resolve().parent.parent / "clients"
BUILD = CLIENTS / "web" / "dist" / "index.html"
AXE = CLIENTS / "node_modules" / "axe-core" / "axe.min.js"


def require(path: Path, how: str) -> None:
    if path.exists():
        return
    message = f"{path} is missing ({how})"
    if os.environ.get("PSICO_REQUIRE_WEB_CLIENT") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium():
    require(BUILD, "cd clients && npm ci && npm run generate && npm run build")
    require(AXE, "cd clients && npm ci")
    require(Path(CHROMIUM), "apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Screens:
    """Takes each screen's screenshot and axe-core figures, and keeps the figures."""

    def __init__(self, artifacts_dir: Path) -> None:
        self.artifacts_dir = artifacts_dir
        self.figures: dict[str, dict[str, int]] = {}
        self.serious: dict[str, list[str]] = {}

    def check(self, page: Page, name: str) -> None:
        page.screenshot(path=str(screenshot_path(self.artifacts_dir, f"web-{name}")))
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=AXE.read_text())
        violations = page.evaluate(
            """async () => {
                const result = await window.axe.run(document, { resultTypes: ["violations"] });
                return result.violations.map((v) => ({
                    id: v.id, impact: v.impact, nodes: v.nodes.length,
                    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
                }));
            }"""
        )
        counts = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
        for violation in violations:
            counts[violation["impact"] or "minor"] += violation["nodes"]
        self.figures[name] = counts
        self.serious[name] = [
            f"{v['id']} ({v['impact']}): {v['targets']}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]

    def save(self) -> None:
        (self.artifacts_dir / "web-client-axe.json").write_text(
            json.dumps(self.figures, indent=2, sort_keys=True) + "\n"
        )


def open_context(chromium):
    context = chromium.new_context(locale="es-BO", viewport={"width": 1280, "height": 900})
    network = NetworkLog()
    context.route("**/*", network.route)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page, network


def log_in(page: Page, base_url: str, account) -> None:
    page.goto(base_url + "/app/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Entrar")
    page.get_by_label("Correo electrónico", exact=True).fill(account.email)
    page.get_by_label("Contraseña", exact=True).fill(account.password)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("button", name="Salir")).to_be_visible()


def messages(page: Page):
    return page.get_by_role("log", name="Mensajes").locator("li")


def test_patient_and_professional_book_confirm_and_chat(
    chromium, live_server, artifacts_dir, server_errors_in_log
):
    patient_account = live_server.accounts["web_patient"]
    professional_account = live_server.accounts["web_professional"]
    base = live_server.base_url
    screens = Screens(artifacts_dir)
    patient_context, patient, patient_network = open_context(chromium)
    pro_context, pro, pro_network = open_context(chromium)
    try:
        # The patient logs in, finds the professional and books the first free slot.
        patient.goto(base + "/app/")
        expect(patient.locator("html")).to_have_attribute("lang", "es")
        screens.check(patient, "01-entrar")
        log_in(patient, base, patient_account)
        expect(patient.get_by_role("heading", level=1)).to_have_text("Encuentra a tu profesional")
        patient.get_by_label("Nombre o especialidad", exact=True).fill("Quispenina")
        patient.get_by_role("button", name="Buscar").click()
        expect(patient.locator(".card")).to_have_count(1)
        screens.check(patient, "02-profesionales")
        patient.get_by_role("link", name="Ver horarios de Mateo Quispenina").click()
        day = (dt.date.today() + dt.timedelta(days=3)).isoformat()
        patient.get_by_label("Fecha", exact=True).fill(day)
        patient.get_by_role("button", name="Ver horarios").click()
        first_slot = patient.get_by_role("button", name=re.compile(r"^Reservar a las "))
        expect(first_slot.first).to_be_visible()
        screens.check(patient, "03-horarios")
        patient.get_by_label("Motivo de la consulta (opcional)", exact=True).fill("Ansiedad")
        first_slot.first.click()
        expect(patient.get_by_role("status").first).to_contain_text("Reservaste el")
        row = patient.locator("tr[data-appointment]", has_text="Mateo Quispenina")
        expect(row).to_have_count(1)
        expect(row.locator("td.state")).to_have_text("Pendiente")
        appointment_id = int(row.get_attribute("data-appointment") or "0")
        screens.check(patient, "04-citas-paciente")

        # The professional confirms; the patient's page follows without a reload.
        log_in(pro, base, professional_account)
        pro_row = pro.locator(f"tr[data-appointment='{appointment_id}']")
        expect(pro_row.locator("td.state")).to_have_text("Pendiente")
        screens.check(pro, "05-citas-profesional")
        pro_row.get_by_role("button", name="Confirmar cita con Sofía Rojas").click()
        expect(pro.locator(f"tr[data-appointment='{appointment_id}'] td.state")).to_have_text(
            "Confirmada"
        )
        expect(row.locator("td.state")).to_have_text("Confirmada")

        # The patient writes first; the professional's inbox badge counts it live.
        patient.get_by_role("link", name="Chat con Mateo Quispenina").click()
        expect(patient.locator(".connection")).to_have_text("Conectado")
        patient.get_by_label("Mensaje", exact=True).fill("Hola, doctor. ¿Confirmamos el jueves?")
        patient.get_by_role("button", name="Enviar").click()
        expect(messages(patient).last).to_contain_text("¿Confirmamos el jueves?")
        expect(messages(patient).last).not_to_contain_text("enviando…")
        expect(pro.locator("#inbox-badge")).to_have_text("1 sin leer")
        pro.get_by_role("link", name=re.compile(r"^Mensajes")).click()
        expect(pro.get_by_role("link", name="Abrir chat con Sofía Rojas")).to_be_visible()
        screens.check(pro, "06-mensajes-profesional")

        # The professional opens the chat and answers; each side sees the other at once.
        pro.get_by_role("link", name="Abrir chat con Sofía Rojas").click()
        expect(pro.locator(".connection")).to_have_text("Conectado")
        expect(messages(pro)).to_have_count(1)
        expect(pro.locator("#inbox-badge")).to_be_hidden()
        pro.get_by_label("Mensaje", exact=True).fill("Sí, la espero el jueves a la hora reservada.")
        pro.get_by_role("button", name="Enviar").click()
        expect(messages(patient)).to_have_count(2)
        expect(messages(patient).last).to_contain_text("la espero el jueves")
        patient.get_by_label("Mensaje", exact=True).fill("Perfecto, gracias.")
        patient.get_by_role("button", name="Enviar").click()
        expect(messages(pro)).to_have_count(3)
        expect(messages(pro).last).to_contain_text("Perfecto, gracias.")
        screens.check(patient, "07-chat-paciente")
        screens.check(pro, "08-chat-profesional")

        # A reload in the middle of the conversation: everything is there, once.
        patient.reload()
        expect(patient.locator(".connection")).to_have_text("Conectado")
        expect(messages(patient)).to_have_count(3)

        # The patient leaves; the professional writes meanwhile; back, nothing is missing.
        chat_url = patient.url
        patient.goto("about:blank")
        pro.get_by_label("Mensaje", exact=True).fill("Le dejo un ejercicio para la sesión.")
        pro.get_by_role("button", name="Enviar").click()
        expect(messages(pro)).to_have_count(4)
        patient.goto(chat_url)
        expect(patient.locator(".connection")).to_have_text("Conectado")
        expect(messages(patient)).to_have_count(4)
        expect(messages(patient).last).to_contain_text("Le dejo un ejercicio")
        pro.get_by_label("Mensaje", exact=True).fill("¿Lo recibió?")
        pro.get_by_role("button", name="Enviar").click()
        expect(messages(patient)).to_have_count(5)
        texts = messages(patient).locator(".text").all_inner_texts()
        assert len(set(texts)) == 5, texts
        screens.check(patient, "09-chat-tras-recarga")
    finally:
        screens.save()
        patient_context.close()
        pro_context.close()

    assert screens.serious == {name: [] for name in screens.figures}, screens.serious
    assert len(screens.figures) == 9
    assert patient_network.blocked == [] and pro_network.blocked == []
    assert server_errors_in_log() == []
