// The growth of every list, summed per day over the last 30 days: the sum of
// /lists/{id}/growth over the biggest lists (at most MAX_LISTS, so that the overview asks a
// bounded number of questions however many lists there are).
import { api, type Schemas } from "../../api/client";

export const MAX_LISTS = 10;

export interface Growth {
  days: string[];
  subscribed: number[];
  unsubscribed: number[];
  // how many lists were summed, and how many exist
  summed: number;
  lists: number;
}

const size = (l: Schemas["List"]) => (l.counts?.confirmed ?? 0) + (l.counts?.unconfirmed ?? 0);

export async function loadGrowth(): Promise<Growth> {
  const page = await api.get("/api/v1/lists", { query: { limit: 100 } });
  const all = page.items ?? [];
  const biggest = [...all].sort((a, b) => size(b) - size(a)).slice(0, MAX_LISTS);
  const answers = await Promise.all(biggest.map((l) => api.get("/api/v1/lists/{id}/growth", { path: { id: l.id ?? 0 }, query: { interval: "day" } })));
  const byDay = new Map<string, { subscribed: number; unsubscribed: number }>();
  for (const a of answers)
    for (const p of a.series ?? []) {
      if (!p.start) continue;
      const d = byDay.get(p.start) ?? { subscribed: 0, unsubscribed: 0 };
      d.subscribed += p.subscribed ?? 0;
      d.unsubscribed += p.unsubscribed ?? 0;
      byDay.set(p.start, d);
    }
  const days = [...byDay.keys()].sort();
  return {
    days,
    subscribed: days.map((d) => byDay.get(d)?.subscribed ?? 0),
    unsubscribed: days.map((d) => byDay.get(d)?.unsubscribed ?? 0),
    summed: biggest.length,
    lists: page.total ?? all.length,
  };
}
