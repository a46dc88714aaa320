// Previous / next links for the cursor pages the APIs answer.
import { h } from "../dom.js";
import { href } from "../router.js";

// Zendesk's cursor pages (webhooks, invocations): meta {has_more, after_cursor,
// before_cursor}, where has_more counts in the direction the page was asked for.
export function cursorPager(path, query, meta) {
  const backwards = Boolean(query.before);
  const base = { ...query, after: undefined, before: undefined };
  const hasNext = backwards ? true : Boolean(meta && meta.has_more);
  const hasPrev = backwards ? Boolean(meta && meta.has_more) : Boolean(query.after);
  return pager(
    hasPrev && meta.before_cursor ? href(path, { ...base, before: meta.before_cursor }) : null,
    hasNext && meta.after_cursor ? href(path, { ...base, after: meta.after_cursor }) : null,
  );
}

// ZIS pages (meta {has_more, after}): forward only, and back to the first page.
export function forwardPager(path, query, meta, param = "after") {
  const base = { ...query, [param]: undefined };
  return pager(
    query[param] ? href(path, base) : null,
    meta && meta.has_more && meta.after ? href(path, { ...base, [param]: meta.after }) : null,
    query[param] ? "First page" : null,
  );
}

function pager(prev, next, prevText) {
  if (!prev && !next) return null;
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    prev ? h("a", { href: prev, rel: "prev", class: "button button-secondary" }, prevText || "Previous page") : null,
    next ? h("a", { href: next, rel: "next", class: "button button-secondary" }, "Next page") : null,
  );
}
