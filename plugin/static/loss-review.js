// The loss review inside Salesforce: the panel's third-party frame may get no cookie, so the
// form goes to the JSON API with the app token instead of its CSRF token. Runs before panel.js
// (which takes the token off the page); without a token (demo mode) the form posts as it is.
(() => {
  "use strict";
  const token = document.body.dataset.appToken;
  const opportunityId = document.body.dataset.opportunityId;
  const section = document.querySelector("[data-testid=loss-review]");
  const form = section && section.querySelector("[data-loss-review-form]");
  if (!token || !form) return;
  const status = form.querySelector("[data-loss-review-status]");
  const summary = section.querySelector("[data-loss-review-summary]");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const body = {
      stalled_stage: fields.get("stalled_stage") || "",
      reason: fields.get("reason") || "",
      used_modules: fields.getAll("used_modules"),
      missing: fields.get("missing") || "",
    };
    status.textContent = "Saving…";
    try {
      const response = await fetch(`/api/v1/opportunities/${encodeURIComponent(opportunityId)}/loss-review`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json" },
        credentials: "omit",
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const problems = ((data.error && data.error.fields) || []).map((f) => `${f.field} ${f.message}`);
        status.textContent = problems.length ? `Not saved: ${problems.join("; ")}.`
          : ((data.error && data.error.message) || "Be Inspired could not save the review.");
        return;
      }
      const review = data.review;
      section.dataset.state = "done";
      summary.textContent = `Stalled in ${review.stalled_stage} · ${review.reason_label}`
        + (review.missing ? ` · missing: “${review.missing.slice(0, 120)}”` : "");
      section.querySelector("[data-loss-review-title]").textContent = "Loss review done";
      form.querySelector("[data-testid=loss-review-submit]").textContent = "Save changes";
      status.textContent = "Thanks: your review is saved.";
    } catch (error) {
      status.textContent = "Be Inspired could not be reached: the review was not saved.";
    }
  });
})();
