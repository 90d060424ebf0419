import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { allowed, loadSession, session } from "./session";
import { PAGES } from "./pages";
import { t } from "./i18n";
import AppFrame from "./components/AppFrame.vue";
import LoginPage from "./pages/LoginPage.vue";
import NotFoundPage from "./pages/NotFoundPage.vue";
import ForbiddenPage from "./pages/ForbiddenPage.vue";

// every pages/<area>/routes.ts, each exporting `routes` (paths relative to the frame, "" is /)
const areaRoutes = import.meta.glob<RouteRecordRaw[]>("./pages/*/routes.ts", { eager: true, import: "routes" });
const built: RouteRecordRaw[] = Object.values(areaRoutes).flat();
// every area of the navigation has its pages: an area without them stops the app at its start,
// which every browser test sees
const names = new Set(built.map((r) => r.name));
for (const p of PAGES) if (!names.has(p.name)) throw new Error(`no route named ${p.name} in pages/*/routes.ts`);

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
