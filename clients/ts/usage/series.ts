/**
 * Recurring appointments (`/api/appointments/series/`), written against the shape.
 *
 * Not type-checked yet: site/openapi.yaml has no series paths on this branch, so
 * tsconfig.json lists this file under "exclude" (the entry marked SERIES). Once the series
 * endpoints are in the schema, delete that entry; `tsc --noEmit` then checks this file too.
 */
import { type PsicoClient, type Schemas, createPsicoClient } from "../src/index";

const api: PsicoClient = createPsicoClient({ baseUrl: "https://api.example.com", token: () => "key" });

export async function bookWeekly(psychologist: number, first_date: string, start_time: string) {
  const { data, error } = await api.POST("/api/appointments/series/", {
    body: { psychologist, first_date, start_time, frequency: "weekly", occurrences: 4 },
  });
  if (error) {
    throw new Error(JSON.stringify(error));
  }
  return data;
}

export async function mySeries(): Promise<Schemas["Appointment"][][]> {
  const { data } = await api.GET("/api/appointments/series/");
  return (data?.results ?? []).map((series) => series.appointments);
}

export async function cancelSeries(id: number, reason: string) {
  const { data } = await api.POST("/api/appointments/series/{id}/cancel/", {
    params: { path: { id } },
    body: { reason },
  });
  return data;
}
