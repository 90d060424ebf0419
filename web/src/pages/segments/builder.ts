// What every node of a rule builder shares: whether it may be changed, the error the server
// named (its path inside the rule), the lists and campaigns to pick from, and whether event
// conditions may count only the events since a trigger's entry.
import type { InjectionKey } from "vue";

export interface Choice {
  id: number;
  name: string;
}

export interface BuilderContext {
  readonly: boolean;
  sinceEntry: boolean;
  errorPath: string | null; // relative to the rule; null when the error is not the rule's
  errorMessage: string;
  lists: Choice[];
  campaigns: Choice[];
  // a prefix for element ids, unique per builder on the page
  idBase: string;
}

export const BUILDER: InjectionKey<BuilderContext> = Symbol("rule builder");
