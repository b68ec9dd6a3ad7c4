// What a rep does with the panel's suggestions: opening one, voting it helpful or not (with an
// optional reason), sharing it with the customer, and (through personalise.js) personalising,
// copying and downloading it. Each action becomes an event naming the card's impression id, which
// the server gave the card when it rendered it.
//
// Events wait in memory and go to POST /api/v1/events in batches: every 2 seconds, and when the
// page is hidden or left (fetch with keepalive, which outlives the page and, unlike sendBeacon,
// can carry the Authorization header the panel's app token needs inside Salesforce). An event is
// forgotten only when the server acknowledged it (202, after its commit) or refused the batch for
// good (400, 401, 403, 413); otherwise the same batch, with the same event ids, is sent again
// later, and the server stores each id once.
(() => {
  "use strict";
  const ENDPOINT = "/api/v1/events";
  const FLUSH_MS = 2000;
  const MAX_BATCH = 100;
  const MAX_QUEUED = 1000;
  const MAX_REASON = 500;
  const HEX_ID = /^[0-9a-f]{32}$/;
  const FINAL = new Set([400, 401, 403, 413]); // sending again cannot help

  let token = null;
  const queue = []; // not yet acknowledged, oldest first
  let sending = false;
  let timer = null;
  let retryMs = FLUSH_MS;

  const newId = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };

  const post = (events, keepalive) => {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    // The panel view's request id: the server's log lines for these events carry it too.
    const viewId = document.body.dataset.requestId;
    if (viewId) headers["X-Request-Id"] = viewId;
    return fetch(ENDPOINT, {
      method: "POST", headers, credentials: "omit", keepalive, body: JSON.stringify({ events }),
    });
  };

  const schedule = (delay = FLUSH_MS) => {
    if (timer === null && queue.length) timer = setTimeout(() => { timer = null; flush(); }, delay);
  };

  const forget = (batch) => {
    const sent = new Set(batch.map((e) => e.event_id));
    for (let i = queue.length - 1; i >= 0; i -= 1) if (sent.has(queue[i].event_id)) queue.splice(i, 1);
  };

  const flush = async () => {
    if (sending || !queue.length) return;
    sending = true;
    const batch = queue.slice(0, MAX_BATCH);
    try {
      const response = await post(batch, false);
      if (response.status === 202 || FINAL.has(response.status)) {
        if (response.status !== 202) console.warn(`Be Inspired: ${batch.length} events refused (${response.status})`);
        forget(batch);
        retryMs = FLUSH_MS;
      } else {
        retryMs = Math.min(retryMs * 2, 60_000);
      }
    } catch {
      retryMs = Math.min(retryMs * 2, 60_000); // offline, or the server is away: keep them
    } finally {
      sending = false;
      schedule(queue.length > MAX_BATCH ? 0 : retryMs);
    }
  };

  // The page is going away: send what is left, the batch in flight included (a fetch without
  // keepalive may be cancelled now, and a repeat is harmless).
  // If the page stays after all (a tab hidden, not closed), the answers still arrive.
  const flushOnLeave = () => {
    for (let i = 0; i < queue.length; i += MAX_BATCH) {
      const batch = queue.slice(i, i + MAX_BATCH);
      post(batch, true)
        .then((response) => { if (response.status === 202 || FINAL.has(response.status)) forget(batch); })
        .catch(() => {});
    }
  };

  const record = (impressionId, kind, reason = null) => {
    if (!impressionId || !HEX_ID.test(impressionId)) return; // a preview, or a view not recorded
    const event = { event_id: newId(), impression_id: impressionId, kind, at: new Date().toISOString() };
    if (reason) event.reason = reason.slice(0, MAX_REASON);
    queue.push(event);
    if (queue.length > MAX_QUEUED) queue.splice(0, queue.length - MAX_QUEUED);
    schedule();
  };

  window.BeInspiredEvents = {
    record,
    flush,
    authorise: (appToken) => { token = appToken; },
    pending: () => queue.length,
  };

  addEventListener("pagehide", flushOnLeave);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flushOnLeave();
  });

  // -- the cards' own actions -----------------------------------------------------------------
  const cardOf = (node) => node.closest("[data-impression-id]");

  const vote = (card, kind, reason = null) => {
    record(card.dataset.impressionId, kind, reason);
    for (const button of card.querySelectorAll("[data-vote]")) {
      button.setAttribute("aria-pressed", String(button.dataset.vote === kind));
    }
    card.querySelector("[data-reason-form]").hidden = true;
    card.querySelector("[data-feedback-status]").textContent = kind === "helpful"
      ? "Thanks: marked as helpful." : "Thanks: marked as not helpful.";
  };

  document.addEventListener("click", (event) => {
    const card = cardOf(event.target);
    if (!card) return;
    if (event.target.closest("a[data-module-link]")) {
      record(card.dataset.impressionId, "open");
    } else if (event.target.closest("[data-share]")) {
      record(card.dataset.impressionId, "share");
    } else if (event.target.closest("[data-vote='helpful']")) {
      vote(card, "helpful");
    } else if (event.target.closest("[data-vote='not_helpful']")) {
      const form = card.querySelector("[data-reason-form]");
      form.hidden = false;
      card.querySelector("[data-feedback-status]").textContent = "";
      form.querySelector("input").focus();
    } else if (event.target.closest("[data-reason-skip]")) {
      vote(card, "not_helpful");
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-reason-form]");
    if (!form) return;
    event.preventDefault();
    vote(cardOf(form), "not_helpful", form.querySelector("input").value.trim());
  });
})();
