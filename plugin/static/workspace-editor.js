// The module editor (workspace/modules/form.html): a live preview of the Markdown body, the
// placeholders inserted with a click, and the module id suggested from the title.
//
// The preview is rendered by the server (POST /api/v1/modules/preview), by the same code and
// sanitiser the panel uses, so what the author sees is what reps will see. The request carries
// the page's CSRF token (the <meta name="csrf-token"> of workspace/base.html) as X-CSRFToken.
// Without JavaScript the form still works: the preview is rendered once with the page.
(() => {
  "use strict";
  const form = document.querySelector("form[data-module-editor]");
  if (!form) return;

  const body = form.querySelector("#f-body");
  const preview = form.querySelector("#body-preview");
  const used = form.querySelector("[data-role=used]");
  const unknown = form.querySelector("[data-role=unknown]");
  const csrf = document.querySelector("meta[name=csrf-token]")?.content || "";
  const DELAY_MS = 250;

  // -- live preview ------------------------------------------------------------------------------
  let timer = null;
  let sent = 0; // answers can overtake each other: only the latest request's answer is shown

  const showPlaceholders = (result) => {
    used.textContent = result.placeholders.length
      ? `Personalised with: ${result.placeholders.join(", ")}` : "";
    unknown.textContent = result.unknown_placeholders.length
      ? `Not a placeholder we can fill: ${result.unknown_placeholders.map((n) => `{{${n}}}`).join(", ")}. Reps would see it as typed.`
      : "";
  };

  const refresh = async () => {
    const ticket = ++sent;
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
        body: JSON.stringify({ markdown: body.value }),
      });
      const result = await response.json();
      if (ticket !== sent) return;
      if (!response.ok) {
        preview.dataset.state = "error";
        unknown.textContent = `Preview unavailable: ${result.error?.message || response.statusText}`;
        return;
      }
      // Sanitised by the server (nh3: no script, no style, no event handlers), and the page's
      // Content-Security-Policy would refuse to run any script regardless.
      preview.innerHTML = result.html;
      preview.dataset.state = "fresh";
      showPlaceholders(result);
    } catch (error) {
      if (ticket === sent) unknown.textContent = "Preview unavailable: the server could not be reached.";
    }
  };

  const schedule = () => {
    preview.dataset.state = "pending";
    clearTimeout(timer);
    timer = setTimeout(refresh, DELAY_MS);
  };
  body.addEventListener("input", schedule);

  // -- placeholders: click to insert at the cursor --------------------------------------------
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-placeholder]");
    if (!button) return;
    const text = `{{${button.dataset.placeholder}}}`;
    body.focus();
    const start = body.selectionStart ?? body.value.length;
    const end = body.selectionEnd ?? start;
    body.setRangeText(text, start, end, "end");
    body.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // -- the id, suggested from the title until the author types one --------------------------
  const id = form.querySelector("#f-id");
  const title = form.querySelector("#f-title");
  if (id && title) {
    let typed = id.value !== "";
    const slug = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64).replace(/-+$/, "");
    id.addEventListener("input", () => { typed = id.value !== ""; });
    title.addEventListener("input", () => { if (!typed) id.value = slug(title.value); });
  }
})();
