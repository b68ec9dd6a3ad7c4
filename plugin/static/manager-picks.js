// A rep dismisses a module their manager recommended on this deal: the card leaves the panel once
// the server has stored it. Runs before panel.js, which takes the app token out of the page.
(() => {
  "use strict";
  const token = document.body.dataset.appToken;
  const path = window.location.pathname.match(/\/panel\/([A-Za-z0-9]{15,18})/);
  const opportunityId = document.body.dataset.opportunityId || (path && path[1]);
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-dismiss-recommendation]");
    if (!button || !opportunityId) return;
    button.disabled = true;
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      const response = await fetch(
        `/api/v1/manager-recommendations/${encodeURIComponent(button.dataset.dismissRecommendation)}/dismissal`,
        { method: "POST", headers, credentials: token ? "omit" : "same-origin",
          body: JSON.stringify({ opportunity_id: opportunityId }) });
      if (!response.ok) throw new Error(String(response.status));
      button.closest("li.bi-suggestion").remove();
    } catch {
      button.disabled = false;
      button.textContent = "Could not dismiss: try again";
    }
  });
})();
