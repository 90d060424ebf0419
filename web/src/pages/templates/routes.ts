import type { RouteRecordRaw } from "vue-router";
import TemplatesPage from "./TemplatesPage.vue";

// the editor carries CodeMirror: loaded when it is opened
const TemplateEditor = () => import("./TemplateEditor.vue");

export const routes: RouteRecordRaw[] = [
  { path: "templates", name: "templates", component: TemplatesPage, meta: { role: "viewer", area: "templates" } },
  { path: "templates/new", name: "template-new", component: TemplateEditor, meta: { role: "editor", area: "templates" } },
  { path: "templates/:id(\\d+)", name: "template", component: TemplateEditor, props: true, meta: { role: "viewer", area: "templates" } },
];
