import type { RouteRecordRaw } from "vue-router";
import ImportsPage from "./ImportsPage.vue";
import ImportDetailPage from "./ImportDetailPage.vue";

export const routes: RouteRecordRaw[] = [
  { path: "imports", name: "imports", component: ImportsPage, meta: { role: "viewer", area: "imports" } },
  { path: "imports/:id(\\d+)", name: "import", component: ImportDetailPage, props: (r) => ({ id: Number(r.params.id) }), meta: { role: "viewer", area: "imports" } },
];
