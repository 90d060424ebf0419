import type { RouteRecordRaw } from "vue-router";
import OverviewPage from "./OverviewPage.vue";

export const routes: RouteRecordRaw[] = [
  { path: "", name: "overview", component: OverviewPage, meta: { role: "viewer", area: "overview" } },
];
