import type { RouteRecordRaw } from "vue-router";
import CampaignsPage from "./CampaignsPage.vue";

// The composer and the campaign's page (progress, and the report with its charts) load when
// opened: the report brings Chart.js.
export const routes: RouteRecordRaw[] = [
  { path: "campaigns", name: "campaigns", component: CampaignsPage, meta: { role: "viewer", area: "campaigns" } },
  { path: "campaigns/new", name: "campaign-new", component: () => import("./CampaignComposer.vue"), meta: { role: "editor", area: "campaigns" } },
  { path: "campaigns/:id(\\d+)/edit", name: "campaign-edit", component: () => import("./CampaignComposer.vue"), meta: { role: "editor", area: "campaigns" } },
  { path: "campaigns/:id(\\d+)", name: "campaign", component: () => import("./CampaignPage.vue"), meta: { role: "viewer", area: "campaigns" } },
];
