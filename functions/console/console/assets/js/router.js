// A hash router: "#/webhooks/01J...?status=failed". The hash never reaches the server, so
// the stack serves one page for every view, and a view's state (filters, cursors) is in
// its link. No token is ever put in it.
const routes = [];

// route("/webhooks/:id", page): page(view, {params, query, signal}) renders into view.
export function route(pattern, page) {
  const names = [];
  const regex = new RegExp(
    "^" +
      pattern.replace(/:([a-z]+)/g, (_, name) => {
        names.push(name);
        return "([^/]+)";
      }) +
      "$",
  );
  routes.push({ pattern, regex, names, page });
}

export function href(path, query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(name, value);
  }
  const search = params.toString();
  return `#${path}${search ? `?${search}` : ""}`;
}

export function navigate(path, query) {
  const target = href(path, query);
  if (location.hash === target) reload();
  else location.hash = target;
}

export function current() {
  const hash = location.hash.startsWith("#/") ? location.hash.slice(1) : "/";
  const [path, search] = hash.split("?", 2);
  return { path, query: Object.fromEntries(new URLSearchParams(search || "")) };
}

export function resolve(path) {
  for (const candidate of routes) {
    const found = candidate.regex.exec(path);
    if (found) {
      const params = {};
      candidate.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1]);
      });
      return { page: candidate.page, params, pattern: candidate.pattern };
    }
  }
  return null;
}

let renderer = null;

export function reload() {
  if (renderer) renderer(false);
}

// Render now and on every change of the hash (an in-page anchor such as the skip link,
// which is not "#/...", changes no view).
export function start(render) {
  renderer = render;
  window.addEventListener("hashchange", () => {
    if (location.hash === "" || location.hash.startsWith("#/")) render(true);
  });
  render(false);
}
