// The roles in the order the forms offer them, least first.
import type { Role } from "../../api/client";

export const ROLES: Role[] = ["viewer", "editor", "admin"];
