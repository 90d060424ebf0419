// Keyset paging for a listing page: the cursors of the pages before the current one (so that
// "previous" goes back without offsets), and the loading state and error of the last fetch.
// fetch(cursor) shows a page and answers its next_cursor (null on the last page).
import { ref } from "vue";
import { errorMessage } from "./errors";

export function usePages(fetch: (cursor?: string) => Promise<string | null | undefined>) {
  const next = ref<string | null>(null);
  const cursors = ref<string[]>([]);
  const loading = ref(true);
  const error = ref("");
  const current = () => cursors.value[cursors.value.length - 1];

  async function show(cursor?: string) {
    loading.value = true;
    error.value = "";
    try {
      next.value = (await fetch(cursor)) ?? null;
    } catch (e) {
      error.value = errorMessage(e);
      next.value = null;
    } finally {
      loading.value = false;
    }
  }
  return {
    next,
    cursors,
    loading,
    error,
    first: () => show(),
    reload: () => show(current()),
    forward() {
      if (!next.value) return;
      cursors.value.push(next.value);
      return show(next.value);
    },
    back() {
      cursors.value.pop();
      return show(current());
    },
  };
}
