import type { RouteRecordRaw } from "vue-router";
import ListsPage from "./ListsPage.vue";
import ListDetailPage from "./ListDetailPage.vue";

export const routes: RouteRecordRaw[] = [
  { path: "lists", name: "lists", component: ListsPage, meta: { role: "viewer", area: "lists" } },
  { path: "lists/:id(\\d+)", name: "list", component: ListDetailPage, props: (r) => ({ id: Number(r.params.id) }), meta: { role: "viewer", area: "lists" } },
];
