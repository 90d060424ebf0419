import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { allowed, loadSession, session } from "./session";
import { PAGES } from "./pages";
import { t } from "./i18n";
import AppFrame from "./components/AppFrame.vue";
import LoginPage from "./pages/LoginPage.vue";
import PlannedPage from "./pages/PlannedPage.vue";
import NotFoundPage from "./pages/NotFoundPage.vue";
import ForbiddenPage from "./pages/ForbiddenPage.vue";

// every pages/<area>/routes.ts, each exporting `routes` (paths relative to the frame, "" is /)
const areaRoutes = import.meta.glob<RouteRecordRaw[]>("./pages/*/routes.ts", { eager: true, import: "routes" });
const built: RouteRecordRaw[] = Object.values(areaRoutes).flat();
const names = new Set(built.map((r) => r.name));
// an area without pages yet says so rather than answering "not found"
const planned: RouteRecordRaw[] = PAGES.filter((p) => !names.has(p.name)).map((p) => ({
  path: p.path.slice(1),
  name: p.name,
  component: PlannedPage,
  meta: { role: p.role, area: p.name },
}));

export const router = createRouter({
  // the server answers index.html for every path without an extension outside /api/
  history: createWebHistory(),
  routes: [
    { path: "/login", name: "login", component: LoginPage, meta: { public: true } },
    {
      path: "/",
      component: AppFrame,
      children: [
        ...built,
        ...planned,
        { path: "forbidden", name: "forbidden", component: ForbiddenPage },
        { path: ":rest(.*)*", name: "not-found", component: NotFoundPage },
      ],
    },
  ],
});

router.beforeEach(async (to) => {
  if (!session.checked) await loadSession();
  if (to.meta.public) return session.role && to.name === "login" ? { name: "overview" } : true;
  if (!session.role) return { name: "login", query: to.fullPath !== "/" ? { next: to.fullPath } : {} };
  if (to.meta.role && !allowed(to.meta.role)) return { name: "forbidden", query: { page: to.fullPath } };
  return true;
});

export function pageTitle(area: string | undefined): string {
  return area ? t("nav." + area) : "";
}

router.afterEach((to) => {
  const title = pageTitle(to.meta.area);
  document.title = title ? `${title} · mailcast` : "mailcast";
});
