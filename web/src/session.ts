// Who is logged in, and what their role lets them do. The dashboard hides what the role cannot
// do; the server refuses it anyway (every route declares its role).
import { reactive } from "vue";
import { api, setCsrfToken, type Role, type Schemas } from "./api/client";
import { setLocale } from "./i18n";

export const session = reactive<{ user: Schemas["User"] | null; role: Role | null; checked: boolean }>({
  user: null,
  role: null,
  checked: false,
});

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

// true when the logged-in role is at least `least`
export function allowed(least: Role): boolean {
  return session.role !== null && RANK[session.role] >= RANK[least];
}

// The language the user chose, kept with them on the server, wins over this browser's choice.
function applyLanguage(user: Schemas["User"] | null | undefined): void {
  if (user?.language) setLocale(user.language);
}

// Asks the server who the cookie belongs to; false when nobody is logged in.
export async function loadSession(): Promise<boolean> {
  try {
    const me = await api.get("/api/v1/auth/me");
    session.user = me.user ?? null;
    session.role = me.role ?? me.user?.role ?? null;
    applyLanguage(session.user);
  } catch {
    session.user = null;
    session.role = null;
  }
  session.checked = true;
  return session.role !== null;
}

export async function login(email: string, password: string): Promise<void> {
  const answer = await api.post("/api/v1/auth/login", { body: { email, password } });
  setCsrfToken(answer.csrf_token ?? null);
  session.user = answer.user ?? null;
  session.role = answer.user?.role ?? null;
  session.checked = true;
  applyLanguage(session.user);
}

export async function logout(): Promise<void> {
  try {
    await api.post("/api/v1/auth/logout");
  } finally {
    forget();
  }
}

export function forget(): void {
  setCsrfToken(null);
  session.user = null;
  session.role = null;
}

// The language the person picks in the frame: the page re-renders in it at once. It is kept in
// the browser (the choice before login) and, for a logged-in user, saved with them on the
// server, so it follows them to another browser. A failed save keeps the browser's choice.
export async function chooseLanguage(code: string): Promise<void> {
  setLocale(code);
  if (!session.user) return;
  try {
    const me = await api.patch("/api/v1/auth/me", { body: { language: code } });
    if (me.user) session.user = me.user;
  } catch {
    // the page is already in the chosen language; the server keeps the previous one
  }
}
