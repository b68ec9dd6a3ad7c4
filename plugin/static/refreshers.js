// A training refresher the panel brought back can be dismissed for good: "Don't bring this back"
// posts the module's id to /api/v1/refreshers/dismissals (with the panel's app token inside
// Salesforce; in demo mode without one) and, once the server has stored it, removes the card.
// If the server refuses or cannot be reached, the card stays and says so.
(() => {
  "use strict";
  const ENDPOINT = "/api/v1/refreshers/dismissals";
  let token = null;

  window.BeInspiredRefreshers = { authorise: (appToken) => { token = appToken; } };

  const dismiss = async (button) => {
    const card = button.closest("[data-module-id]");
    const status = card.querySelector("[data-dismiss-status]");
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    button.disabled = true;
    status.textContent = "";
    try {
      const response = await fetch(ENDPOINT, {
        method: "POST", headers, credentials: "omit",
        body: JSON.stringify({ module_id: button.dataset.dismissRefresher }),
      });
      if (response.status === 200 || response.status === 201) {
        const list = card.parentElement;
        card.remove();
        if (list && !list.children.length) list.hidden = true;
        return;
      }
      status.textContent = "Could not dismiss it; try again later.";
    } catch {
      status.textContent = "Could not reach Be Inspired; try again later.";
    }
    button.disabled = false;
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-dismiss-refresher]");
    if (button) dismiss(button);
  });
})();
