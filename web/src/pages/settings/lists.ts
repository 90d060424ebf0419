// What the settings' forms share: an API error put at the form field it names.
import { errorField, errorMessage } from "../../errors";

// Empties errors, for a new submit.
export function clearErrors(errors: Record<string, string>): void {
  for (const key of Object.keys(errors)) delete errors[key];
}

// Puts the message of API error e under the field it names when the form has that field
// ("events[2]" counts as "events"), else under "form".
export function errorAt(errors: Record<string, string>, e: unknown, fields: string[]): void {
  const field = errorField(e).replace(/\[\d+\]$/, "");
  errors[fields.includes(field) ? field : "form"] = errorMessage(e);
}
