// A sentence the subscribers page shows once after another page sent the person back to it
// (the address just erased), kept here rather than in the URL, which would keep the address in
// the browser's history.
import { ref } from "vue";

export const flash = ref("");
