import type { RouteRecordRaw } from "vue-router";

export const routes: RouteRecordRaw[] = [
  { path: "segments", name: "segments", component: () => import("./SegmentsPage.vue"), meta: { role: "viewer", area: "segments" } },
  { path: "segments/new", name: "segment-new", component: () => import("./SegmentEditor.vue"), meta: { role: "editor", area: "segments" } },
  { path: "segments/:id(\\d+)", name: "segment", component: () => import("./SegmentEditor.vue"), props: true, meta: { role: "viewer", area: "segments" } },
];
