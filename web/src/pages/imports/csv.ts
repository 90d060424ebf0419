// Reading a CSV file in the browser with papaparse, to show its first rows and map its columns
// before the upload, and to count its rows for the import's progress. It reads RFC 4180 as the
// server does (comma separated, '"' quoting with '""' for a quote, fields may hold commas and
// line breaks; UTF-8 with an optional byte order mark, which it drops); blank lines carry no
// record.
import Papa from "papaparse";

// The first maxRecords records of file (the header first).
export function previewCsv(file: File, maxRecords: number): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    Papa.parse<string[]>(file, {
      preview: maxRecords,
      skipEmptyLines: true,
      encoding: "utf-8",
      complete: (result) => resolve(result.data),
      error: (e) => reject(e),
    });
  });
}

// How many data rows file holds (records after the header), read in chunks so a large file
// is never held whole. For the progress of the import, which learns the number only as it
// reads.
export function countRows(file: File): Promise<number> {
  let records = 0;
  return new Promise((resolve, reject) => {
    Papa.parse<string[]>(file, {
      skipEmptyLines: true,
      encoding: "utf-8",
      chunk: (result) => {
        records += result.data.length;
      },
      complete: () => resolve(Math.max(0, records - 1)),
      error: (e) => reject(e),
    });
  });
}
