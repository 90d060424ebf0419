// Settings, for administrators: each section is its own route (a link in the section tabs), so
// a section can be bookmarked and reached by keyboard.
import type { RouteRecordRaw } from "vue-router";

const meta = { role: "admin", area: "settings" } as const;

export const routes: RouteRecordRaw[] = [
  { path: "settings", name: "settings", redirect: { name: "settings-relays" }, meta },
  { path: "settings/relays", name: "settings-relays", component: () => import("./RelaysPage.vue"), meta },
  { path: "settings/dkim", name: "settings-dkim", component: () => import("./DkimPage.vue"), meta },
  { path: "settings/deliverability", name: "settings-deliverability", component: () => import("./DeliverabilityPage.vue"), meta },
  { path: "settings/users", name: "settings-users", component: () => import("./UsersPage.vue"), meta },
  { path: "settings/tokens", name: "settings-tokens", component: () => import("./TokensPage.vue"), meta },
  { path: "settings/webhooks", name: "settings-webhooks", component: () => import("./WebhooksPage.vue"), meta },
  { path: "settings/webhooks/:id(\\d+)", name: "settings-webhook", component: () => import("./WebhookPage.vue"), meta },
];
