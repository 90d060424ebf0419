// Reading the start of a CSV file in the browser, to show its first rows and map its columns
// before the upload: RFC 4180 as the server reads it (comma separated, '"' quoting with '""'
// for a quote, fields may hold commas and line breaks; UTF-8 with an optional byte order mark).

// Parses text into records. When `complete` is false the text is the start of a longer file,
// and the last record, which may be cut, is dropped.
export function parseCsv(text: string, maxRecords: number, complete: boolean): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n && records.length < maxRecords) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      field = "";
      records.push(record);
      record = [];
    } else field += c;
    i++;
  }
  if (records.length < maxRecords && (field !== "" || record.length) && complete && !quoted) {
    record.push(field);
    records.push(record);
  }
  // blank lines carry no record
  return records.filter((r) => r.length > 1 || r[0] !== "");
}

// The first bytes of a file as text, cut at the last whole line so no UTF-8 sequence is split.
export async function readStart(file: Blob, bytes = 256 * 1024): Promise<{ text: string; complete: boolean }> {
  const complete = file.size <= bytes;
  let buf = new Uint8Array(await file.slice(0, bytes).arrayBuffer());
  if (!complete) {
    const end = buf.lastIndexOf(0x0a);
    if (end > 0) buf = buf.subarray(0, end + 1);
  }
  let text = new TextDecoder("utf-8").decode(buf);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, complete };
}

// How many data rows a file holds (records after the header), counted as the file streams by,
// line breaks inside quotes not counting. For the progress of the import, which learns the
// number only as it reads.
export async function countRows(file: Blob): Promise<number> {
  const reader = file.stream().getReader();
  let quoted = false;
  let lines = 0;
  let last = 0x0a;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length; i++) {
      const b = value[i];
      if (b === 0x22) quoted = !quoted;
      else if (b === 0x0a && !quoted) lines++;
    }
    if (value.length) last = value[value.length - 1];
  }
  if (last !== 0x0a) lines++;
  return Math.max(0, lines - 1);
}
