// What an API error says to a person, and which field it belongs to, so a form can show it next
// to that field.
import { ApiError } from "./api/client";
import { t } from "./i18n";

// The server's sentence for an API error; a general one when the server did not answer.
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return t("common.no_answer");
}

// The field an API error names ("name", "rules[2].value", "line 3"), or "" when none.
export function errorField(e: unknown): string {
  return e instanceof ApiError ? (e.field ?? "") : "";
}
