// Sending a CSV file to POST /api/v1/imports as multipart/form-data (the typed client speaks
// JSON only), with the upload's progress, the session's CSRF token, and the API's error answer
// as an ApiError like the client's.
import { ApiError, csrfToken, type Schemas } from "../../api/client";

export function uploadImport(
  file: File,
  options: Schemas["ImportOptions"],
  onProgress: (sent: number, total: number) => void,
): Promise<{ id: number }> {
  const form = new FormData();
  form.append("options", JSON.stringify(options));
  form.append("file", file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/imports");
    xhr.setRequestHeader("Accept", "application/json");
    const token = csrfToken();
    if (token) xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new Error("network"));
    xhr.onload = () => {
      let json: { id?: number; error?: { code?: string; message?: string; field?: string } } | undefined;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        json = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && json?.id) resolve({ id: json.id });
      else reject(new ApiError(xhr.status, json?.error?.code ?? "http_" + xhr.status, json?.error?.message ?? xhr.statusText, json?.error?.field));
    };
    xhr.send(form);
  });
}

// the number of data rows of an upload, kept for the tab so the import's page can show its
// progress against the whole file
export function rememberRows(id: number, rows: number): void {
  sessionStorage.setItem(`mailcast.import.${id}.rows`, String(rows));
}
export function rememberedRows(id: number): number | null {
  const v = sessionStorage.getItem(`mailcast.import.${id}.rows`);
  return v === null ? null : Number(v);
}
