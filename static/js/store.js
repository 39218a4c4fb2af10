// localStorage that never throws (it can, when storage is disabled or full): the page works without it.

const memory = new Map();

export function load(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return memory.get(key) ?? null;
  }
}

export function save(key, value) {
  memory.set(key, value);
  try {
    localStorage.setItem(key, value);
  } catch {
    // Kept for this page only.
  }
}
