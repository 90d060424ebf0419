import { createRouter, createWebHistory } from "vue-router";
import { allowed, loadSession, session } from "./session";
import { PAGES } from "./pages";
import AppFrame from "./components/AppFrame.vue";
import LoginPage from "./pages/LoginPage.vue";
import OverviewPage from "./pages/OverviewPage.vue";
import PlannedPage from "./pages/PlannedPage.vue";
import NotFoundPage from "./pages/NotFoundPage.vue";

export const router = createRouter({
  // the server answers index.html for every path without an extension outside /api/
  history: createWebHistory(),
  routes: [
    { path: "/login", name: "login", component: LoginPage, meta: { public: true } },
    {
      path: "/",
      component: AppFrame,
      children: [
        ...PAGES.map((p) => ({
          path: p.path === "/" ? "" : p.path.slice(1),
          name: p.name,
          component: p.name === "overview" ? OverviewPage : PlannedPage,
          meta: { page: p },
        })),
        { path: ":rest(.*)*", name: "not-found", component: NotFoundPage },
      ],
    },
  ],
});

router.beforeEach(async (to) => {
  if (!session.checked) await loadSession();
  if (to.meta.public) return session.role && to.name === "login" ? { name: "overview" } : true;
  if (!session.role) return { name: "login", query: to.fullPath !== "/" ? { next: to.fullPath } : {} };
  const page = to.meta.page as { role: "viewer" | "editor" | "admin" } | undefined;
  if (page && !allowed(page.role)) return { name: "overview" };
  return true;
});

router.afterEach((to) => {
  const page = to.meta.page as { title: string } | undefined;
  document.title = page ? `${page.title} · mailcast` : "mailcast";
});
