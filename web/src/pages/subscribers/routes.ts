import type { RouteRecordRaw } from "vue-router";
import SubscribersPage from "./SubscribersPage.vue";
import SubscriberDetailPage from "./SubscriberDetailPage.vue";

export const routes: RouteRecordRaw[] = [
  { path: "subscribers", name: "subscribers", component: SubscribersPage, meta: { role: "viewer", area: "subscribers" } },
  {
    path: "subscribers/:id(\\d+)",
    name: "subscriber",
    component: SubscriberDetailPage,
    props: (r) => ({ id: Number(r.params.id) }),
    meta: { role: "viewer", area: "subscribers" },
  },
];
