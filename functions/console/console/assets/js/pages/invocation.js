// An invocation: its attempts, each with its status code, duration, and the request sent
// and response received (as the API shows them: secrets redacted), and "Redeliver".
import { api, enc } from "../api.js";
import {
  add,
  badge,
  busy,
  button,
  code,
  crumbs,
  details,
  errorBox,
  h,
  heading,
  keyValues,
  notFoundHint,
  okBox,
  outcome,
  pre,
  section,
  statusCode,
  time,
} from "../dom.js";
import { href } from "../router.js";

// Invocations seen in a webhook's list, so this page can show the invocation's own status
// (the API lists invocations and an invocation's attempts; it has no single-invocation read).
const seen = new Map();

export function remember(invocation) {
  seen.set(invocation.id, invocation);
}

export function invocationHref(webhookId, invocationId) {
  return href(`/webhooks/${encodeURIComponent(webhookId)}/invocations/${encodeURIComponent(invocationId)}`);
}

export async function render(view, { params, signal }) {
  const webhookPath = `/api/v2/webhooks/${enc(params.id)}`;
  const invocationPath = `${webhookPath}/invocations/${enc(params.invocation)}`;
  const [{ webhook }, { attempts }] = await Promise.all([
    api("GET", webhookPath, { signal }),
    api("GET", `${invocationPath}/attempts`, { signal }),
  ]);
  const invocation = seen.get(params.invocation);
  const result = outcome();
  add(
    view,
    crumbs(["Webhooks", "#/webhooks"], [webhook.name, `#/webhooks/${enc(webhook.id)}`], ["Invocation"]),
    heading(`Invocation ${params.invocation}`, invocation ? badge(invocation.status) : null),
    invocation
      ? details([
          ["Status", badge(invocation.status)],
          ["Status code", statusCode(invocation.status_code)],
          ["Event type", invocation.event_type],
          ["Event id", code(invocation.event_id)],
          invocation.trigger ? ["Trigger", invocation.trigger] : null,
          ["Created", time(invocation.created_at)],
          ["Last completed", time(invocation.latest_completed_at)],
        ])
      : null,
    h(
      "div",
      { class: "toolbar" },
      button("Redeliver", (event) =>
        busy(event.currentTarget, async () => {
          result.clear();
          try {
            const answer = await api("POST", `${invocationPath}/redeliver`);
            const id = answer && answer.invocation ? answer.invocation.id : null;
            result.show(
              okBox(
                "Redelivery queued",
                id ? [" as invocation ", h("a", { href: invocationHref(webhook.id, id) }, id)] : null,
                ".",
              ),
            );
          } catch (error) {
            if (error.name === "AbortError") return;
            result.show(errorBox(error, "Redeliver failed."), notFoundHint(error, "redelivery"));
          }
        }),
      ),
    ),
    result,
  );
  if (!attempts.length) {
    add(view, h("p", { class: "empty" }, "No attempt yet: the invocation is waiting to be sent."));
    return;
  }
  for (const attempt of attempts) add(view, attemptSection(attempt));
}

function attemptSection(attempt) {
  const request = attempt.request;
  const response = attempt.response;
  return section(
    `Attempt ${attempt.number}`,
    details([
      ["Status", badge(attempt.status)],
      ["Status code", statusCode(attempt.status_code, "no answer")],
      ["Duration", `${attempt.duration} ms`],
      ["Completed", time(attempt.completed_at)],
      attempt.error ? ["Error", attempt.error] : null,
    ]),
    h(
      "div",
      { class: "exchange" },
      h(
        "div",
        {},
        h("h3", {}, "Request"),
        request
          ? [
              keyValues("Request headers", request.headers),
              h("h4", {}, "Payload"),
              pre(request.payload, "Request payload"),
            ]
          : h("p", { class: "empty" }, "Not recorded."),
      ),
      h(
        "div",
        {},
        h("h3", {}, "Response"),
        response
          ? [
              keyValues("Response headers", response.headers),
              h("h4", {}, response.truncated ? "Payload (truncated)" : "Payload"),
              pre(response.payload, "Response payload"),
            ]
          : attempt.response_body !== null && attempt.response_body !== undefined
            ? [h("h4", {}, "Body (first 1 KB)"), pre(attempt.response_body, "Response body")]
            : h("p", { class: "empty" }, "No response."),
      ),
    ),
  );
}
