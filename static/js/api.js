// REST calls, the presenter token, and turning error bodies into {field, message}.

import { t } from "./i18n.js";
import { load, save } from "./store.js";

const TOKEN_KEY = "procviz.token";

/** Keep a ?token=… from the address in local storage, then drop it from the visible URL. */
export function captureToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    save(TOKEN_KEY, fromUrl);
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }
  return load(TOKEN_KEY);
}

export function token() {
  return load(TOKEN_KEY);
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const tok = token();
  if (tok && method !== "GET") headers.Authorization = `Bearer ${tok}`;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    return { ok: false, status: 0, data: null, error: { field: null, message: `${t("request_failed")}: ${err.message}` } };
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  return { ok: res.ok, status: res.status, data, error: res.ok ? null : describeError(res.status, data) };
}

/** The field an error names (if any) and a message a teacher can act on. */
export function describeError(status, data) {
  if (status === 401 || status === 403) return { field: null, message: t("token_required") };
  if (status === 429) return { field: null, message: t("too_many_runs") };
  const detail = data?.detail;
  if (Array.isArray(detail) && detail.length) {
    // FastAPI's validation list: loc like ["body", "params", "speed"].
    const first = detail[0];
    const loc = Array.isArray(first.loc) ? first.loc.filter((p) => typeof p === "string") : [];
    const field = loc.length ? loc[loc.length - 1] : null;
    return { field: field === "body" ? null : field, message: first.msg ?? JSON.stringify(first) };
  }
  if (detail && typeof detail === "object") {
    // The server names a parameter as "params.speed"; the form knows it as "speed".
    const field = typeof detail.field === "string" ? detail.field.replace(/^params\./, "") : null;
    return { field, message: detail.message ?? JSON.stringify(detail) };
  }
  if (typeof detail === "string") {
    return { field: null, message: status === 404 && /lesson/i.test(detail) ? `${t("unknown_lesson")} ${detail}` : detail };
  }
  return { field: null, message: `${t("request_failed")} (HTTP ${status})` };
}
