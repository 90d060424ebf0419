// Every page of the dashboard, in navigation order, with the least role that may open it.
import type { Role } from "./api/client";

export interface PageInfo {
  name: string;
  path: string;
  title: string;
  role: Role;
  // what the page will let a person do (shown until the page is built)
  purpose: string;
}

export const PAGES: PageInfo[] = [
  { name: "overview", path: "/", title: "Overview", role: "viewer", purpose: "" },
  { name: "subscribers", path: "/subscribers", title: "Subscribers", role: "viewer",
    purpose: "Search and filter subscribers, see one person's attributes, lists, bounces and activity, export or erase their data." },
  { name: "lists", path: "/lists", title: "Lists", role: "viewer",
    purpose: "Lists with their counts by status, the public form link and a form to embed on a site." },
  { name: "segments", path: "/segments", title: "Segments", role: "viewer",
    purpose: "Build segments from rules and see how many subscribers match as you edit." },
  { name: "imports", path: "/imports", title: "Imports", role: "viewer",
    purpose: "Upload a CSV file, map its columns, follow the progress and read the error report." },
  { name: "templates", path: "/templates", title: "Templates", role: "viewer",
    purpose: "Write templates with highlighting and see them rendered for a chosen subscriber." },
  { name: "campaigns", path: "/campaigns", title: "Campaigns", role: "viewer",
    purpose: "Compose, test, schedule and send campaigns, follow their progress and read their reports." },
  { name: "triggers", path: "/triggers", title: "Triggers", role: "viewer",
    purpose: "Build automations step by step and see how many subscribers are at each step." },
  { name: "outbox", path: "/outbox", title: "Outbox", role: "viewer",
    purpose: "Messages kept by the capture transport, rendered." },
  { name: "settings", path: "/settings", title: "Settings", role: "admin",
    purpose: "Relays, DKIM keys, users, API tokens and webhooks." },
];
