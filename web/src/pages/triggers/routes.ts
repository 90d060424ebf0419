import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  { path: "triggers", name: "triggers", component: () => import("./TriggersPage.vue"), meta: { role: "viewer", area: "triggers" } },
  { path: "triggers/new", name: "trigger-new", component: () => import("./TriggerEditor.vue"), meta: { role: "editor", area: "triggers" } },
  { path: "triggers/:id(\\d+)", name: "trigger", component: () => import("./TriggerEditor.vue"), props: true, meta: { role: "viewer", area: "triggers" } },
];
