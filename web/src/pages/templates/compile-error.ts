// Where a template's compile error lies, from the server's message: it always starts
// "FIELD: line L, column C: " when the mistake is in the field's own text (docs/templates.md).
export function compilePlace(message: string): { line: number; column: number } | null {
  const m = /^\w+: line (\d+), column (\d+): /.exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : null;
}
