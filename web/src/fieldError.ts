// An API error kept with the form field it names, so the form shows it next to that field (and
// the rest, or an error naming no field of the form, under the form), and whether the form is
// saving.
import { computed, ref } from "vue";
import { errorField, errorMessage } from "./errors";

export function useFieldError(fields: readonly string[]) {
  const error = ref<{ field: string; message: string } | null>(null);
  // the message for one field ("" when none); fields nested in the body ("tags[2]") count for
  // their top field
  function at(field: string): string {
    const e = error.value;
    if (!e) return "";
    const top = e.field.split(/[.[]/)[0];
    return top === field ? e.message : "";
  }
  const general = computed(() => {
    const e = error.value;
    if (!e) return "";
    return fields.includes(e.field.split(/[.[]/)[0]) ? "" : e.message;
  });
  function set(e: unknown) {
    error.value = { field: errorField(e), message: errorMessage(e) };
  }
  function clear() {
    error.value = null;
  }
  // runs a form's save while busy is true; an error it throws stays here for the form to show
  const busy = ref(false);
  async function run(save: () => Promise<unknown>): Promise<void> {
    clear();
    busy.value = true;
    try {
      await save();
    } catch (e) {
      set(e);
    } finally {
      busy.value = false;
    }
  }
  return { error, at, general, set, clear, busy, run };
}
