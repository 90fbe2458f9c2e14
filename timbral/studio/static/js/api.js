// Talking to the studio's JSON API (see the README), and telling the user how it went.
import { $ } from "./dom.js";

let busy = 0;
function setBusy(delta, text) {
  busy += delta;
  $("#status").textContent = busy > 0 ? (text || "Working…") : "";
  document.body.style.cursor = busy > 0 ? "progress" : "";
}
let toastTimer = null;
export function toast(message, kind = "error") {
  const t = $("#toast");
  t.textContent = message; t.className = kind; t.style.display = "block";
  clearTimeout(toastTimer); toastTimer = setTimeout(() => (t.style.display = "none"), kind === "info" ? 3000 : 7000);
}
export function hideToast() { $("#toast").style.display = "none"; }
// an error stays only until something else succeeds: a later good answer is not shown under an old error
function clearError() { if ($("#toast").className === "error") hideToast(); }

export async function api(method, url, body, label) {
  setBusy(1, label);
  try {
    const options = { method, headers: {} };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    const response = await fetch(url, options);
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
    if (!response.ok) throw new Error(data.error || response.statusText);
    clearError();
    return data;
  } catch (e) { toast(e.message); throw e; } finally { setBusy(-1); }
}

export const qs = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "")).toString();
export const intOrNull = (el) => (el.value === "" ? null : Number(el.value));
export const textOrNull = (el) => (el.value.trim() === "" ? null : el.value.trim()); // pitch fields: 60 or C4, checked by the API
