// A list the API answers page by page (items and next_cursor), shown with a "show more" button:
// load() reads the first page again, load(true) adds the next one.
import { ref, type Ref } from "vue";
import { errorMessage } from "./errors";

export interface Page<T> {
  items?: T[];
  next_cursor?: string | null;
}

export function useMorePages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {
  const items = ref([]) as Ref<T[]>;
  const next = ref<string | null>(null);
  const loading = ref(true);
  const error = ref("");
  async function load(more = false) {
    loading.value = true;
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
