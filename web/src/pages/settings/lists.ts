// What the settings' lists and forms share: a keyset-paged list that grows with "show more",
// and an API error put at the form field it names.
import { ref, type Ref } from "vue";
import { errorField, errorMessage } from "../../errors";

interface Page<T> {
  items?: T[];
  next_cursor?: string | null;
}

// items, the cursor of the next page (null at the end), loading and error; load(true) appends
// the next page, load() starts again
export function usePagedList<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {
  const items = ref([]) as Ref<T[]>;
  const next = ref<string | null>(null);
  const loading = ref(true);
  const error = ref("");
  async function load(more = false) {
    error.value = "";
    try {
      const page = await fetchPage(more ? (next.value ?? undefined) : undefined);
      items.value = more ? [...items.value, ...(page.items ?? [])] : (page.items ?? []);
      next.value = page.next_cursor ?? null;
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      loading.value = false;
    }
  }
  return { items, next, loading, error, load };
}

// Empties errors, for a new submit.
export function clearErrors(errors: Record<string, string>): void {
  for (const key of Object.keys(errors)) delete errors[key];
}

// Puts the message of API error e under the field it names when the form has that field
// ("events[2]" counts as "events"), else under "form".
export function errorAt(errors: Record<string, string>, e: unknown, fields: string[]): void {
  const field = errorField(e).replace(/\[\d+\]$/, "");
  errors[fields.includes(field) ? field : "form"] = errorMessage(e);
}
