// The dashboard's navigation: each area, in order, with the least role that may open it. An
// area's routes (its list, detail and editor pages) live in pages/<area>/routes.ts; the router
// collects them, so a new area adds its folder and one line here.
import type { Role } from "./api/client";

export interface PageInfo {
  // the name of the area's main route, and of its title in locales/*/nav.json
  name: string;
  path: string;
  role: Role;
}

export const PAGES: PageInfo[] = [
  { name: "overview", path: "/", role: "viewer" },
  { name: "subscribers", path: "/subscribers", role: "viewer" },
  { name: "lists", path: "/lists", role: "viewer" },
  { name: "segments", path: "/segments", role: "viewer" },
  { name: "imports", path: "/imports", role: "viewer" },
  { name: "templates", path: "/templates", role: "viewer" },
  { name: "campaigns", path: "/campaigns", role: "viewer" },
  { name: "triggers", path: "/triggers", role: "viewer" },
  { name: "outbox", path: "/outbox", role: "viewer" },
  { name: "settings", path: "/settings", role: "admin" },
];

// What a route tells the frame: the least role, and the navigation entry it belongs to.
declare module "vue-router" {
  interface RouteMeta {
    public?: boolean;
    role?: Role;
    area?: string;
  }
}
