// Every list, for the pickers of the other audience pages (filters, add to lists, import into).
// Installations have tens of lists, not thousands, so one walk of the pages is enough.
import { api, type Schemas } from "../../api/client";

export async function allLists(): Promise<Schemas["List"][]> {
  const out: Schemas["List"][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await api.get("/api/v1/lists", { query: { limit: 1000, cursor } });
    out.push(...(page.items ?? []));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return out;
}
