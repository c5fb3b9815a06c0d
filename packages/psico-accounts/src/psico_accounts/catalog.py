"""Reference data shipped with the package: the psychology specializations offered in Bolivia."""

from __future__ import annotations

# Names and descriptions are data, stored as written (in Spanish, the practice's language).
SPECIALIZATIONS: tuple[dict[str, str], ...] = (
    {
        "slug": "psicologia-clinica",
        "name": "Psicología clínica",
        "description": "Evaluación, diagnóstico y tratamiento de trastornos psicológicos y del "
        "malestar emocional en adultos.",
    },
    {
        "slug": "psicologia-infantil",
        "name": "Psicología infantil",
        "description": "Acompañamiento del desarrollo emocional, conductual y del aprendizaje de "
        "niñas y niños, con participación de la familia.",
    },
    {
        "slug": "psicologia-adolescentes",
        "name": "Psicología de adolescentes",
        "description": "Atención de las dificultades propias de la adolescencia: identidad, "
        "autoestima, conducta y relaciones.",
    },
    {
        "slug": "terapia-de-pareja",
        "name": "Terapia de pareja",
        "description": "Trabajo con parejas para mejorar la comunicación, resolver conflictos y "
        "atravesar crisis o separaciones.",
    },
    {
        "slug": "terapia-familiar",
        "name": "Terapia familiar",
        "description": "Intervención con el sistema familiar para abordar conflictos, cambios y "
        "problemas de convivencia.",
    },
    {
        "slug": "terapia-cognitivo-conductual",
        "name": "Terapia cognitivo-conductual",
        "description": "Enfoque basado en evidencia que trabaja pensamientos, emociones y "
        "conductas para lograr cambios concretos.",
    },
    {
        "slug": "ansiedad-y-estres",
        "name": "Ansiedad y estrés",
        "description": "Tratamiento de crisis de pánico, fobias, preocupación excesiva y estrés "
        "laboral o académico.",
    },
    {
        "slug": "depresion",
        "name": "Depresión",
        "description": "Abordaje de la tristeza persistente, la desmotivación y los trastornos "
        "del estado de ánimo.",
    },
    {
        "slug": "neuropsicologia",
        "name": "Neuropsicología",
        "description": "Evaluación y rehabilitación de funciones cognitivas como la memoria, la "
        "atención y el lenguaje.",
    },
    {
        "slug": "psicologia-educativa",
        "name": "Psicología educativa",
        "description": "Orientación en dificultades de aprendizaje, rendimiento escolar y "
        "orientación vocacional.",
    },
    {
        "slug": "psicologia-organizacional",
        "name": "Psicología organizacional",
        "description": "Bienestar laboral, selección de personal, clima organizacional y "
        "prevención del agotamiento profesional.",
    },
    {
        "slug": "psicologia-de-la-salud",
        "name": "Psicología de la salud",
        "description": "Acompañamiento a personas con enfermedades crónicas, dolor o procesos "
        "médicos difíciles.",
    },
    {
        "slug": "adicciones",
        "name": "Adicciones",
        "description": "Prevención y tratamiento del consumo problemático de alcohol, drogas, "
        "juego y tecnología.",
    },
    {
        "slug": "duelo-y-perdidas",
        "name": "Duelo y pérdidas",
        "description": "Acompañamiento en procesos de duelo por fallecimientos, separaciones y "
        "otras pérdidas significativas.",
    },
    {
        "slug": "trauma-y-violencia",
        "name": "Trauma y violencia",
        "description": "Atención a víctimas de violencia intrafamiliar, de género o de eventos "
        "traumáticos.",
    },
    {
        "slug": "sexologia",
        "name": "Sexología",
        "description": "Orientación y terapia en salud sexual, dificultades sexuales y diversidad.",
    },
    {
        "slug": "trastornos-alimentarios",
        "name": "Trastornos de la conducta alimentaria",
        "description": "Tratamiento de la anorexia, la bulimia, el atracón y la relación "
        "conflictiva con la comida y el cuerpo.",
    },
    {
        "slug": "psicogerontologia",
        "name": "Psicogerontología",
        "description": "Atención psicológica a personas mayores y a sus cuidadores.",
    },
)
