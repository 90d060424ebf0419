import type { RouteRecordRaw } from "vue-router";
import OutboxPage from "./OutboxPage.vue";
import OutboxMessage from "./OutboxMessage.vue";

export const routes: RouteRecordRaw[] = [
  { path: "outbox", name: "outbox", component: OutboxPage, meta: { role: "viewer", area: "outbox" } },
  { path: "outbox/:name", name: "outbox-message", component: OutboxMessage, props: true, meta: { role: "viewer", area: "outbox" } },
];
