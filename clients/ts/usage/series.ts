/**
 * Recurring appointments (`/api/appointments/series/`): book a weekly series, read what was
 * booked and skipped, cancel it from a date.
 */
import { type PsicoClient, type Schemas, createPsicoClient } from "../src/index";

const api: PsicoClient = createPsicoClient({ baseUrl: "https://api.example.com", token: () => "key" });

export async function bookWeekly(
  psychologist: number,
  start_date: string,
  start_time: string,
  count: number,
): Promise<Schemas["AppointmentSeries"]> {
  const { data, error } = await api.POST("/api/appointments/series/", {
    body: { psychologist, start_date, start_time, frequency: "weekly", count, reason: "", all_or_nothing: false },
  });
  if (error) {
    throw new Error(JSON.stringify(error));
  }
  return data;
}

export async function skippedDates(id: number): Promise<{ date: string; reason: string }[]> {
  const { data } = await api.GET("/api/appointments/series/{id}/", { params: { path: { id } } });
  return (data?.skipped ?? []).map(({ date, reason }) => ({ date, reason }));
}

export async function mySeries(): Promise<Schemas["Appointment"][][]> {
  const { data } = await api.GET("/api/appointments/series/");
  return (data?.results ?? []).map((series) => series.appointments);
}

export async function cancelSeries(id: number, from_date: string, reason: string) {
  const { data } = await api.POST("/api/appointments/series/{id}/cancel/", {
    params: { path: { id } },
    body: { from_date, reason },
  });
  return data;
}
