// "Personalise for this opportunity" on an opened template: the server fills the placeholders
// (GET /api/v1/modules/<id>/personalised), the rep edits the text (the preview and the list of
// gaps follow), copies it or downloads it (.md, .docx, .pdf).
// Used by the demo's module page (a [data-personalise] element, no token) and by panel.js inside
// Salesforce, which passes its app token: every call then carries it in an Authorization header
// and files are fetched and saved through a Blob, so the token never goes in a URL. With the
// impression id of the suggestion it was opened from, personalising, copying and downloading are
// recorded as events (panel-events.js).
(() => {
  "use strict";
  const GAP = /⟦[^⟦⟧]*⟧/g; // a value Salesforce lacked, left for the rep to fill
  const HAS_GAP = /⟦[^⟦⟧]*⟧/;

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const button = (label, testid, className = "slds-button slds-button_neutral") => {
    const node = element("button", className, label);
    node.type = "button";
    node.dataset.testid = testid;
    return node;
  };

  // Wraps each gap left for a missing value (⟦rep name⟧) in <mark>, touching text nodes only.
  const highlightGaps = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) if (HAS_GAP.test(walker.currentNode.data)) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const parts = [];
      let last = 0;
      for (const match of node.data.matchAll(GAP)) {
        parts.push(document.createTextNode(node.data.slice(last, match.index)));
        const mark = element("mark", "bi-gap", match[0]);
        mark.title = "Not in Salesforce for this opportunity: fill it in";
        parts.push(mark);
        last = match.index + match[0].length;
      }
      parts.push(document.createTextNode(node.data.slice(last)));
      node.replaceWith(...parts);
    }
  };

  const saveFile = (blob, filename) => {
    const url = URL.createObjectURL(blob);
    const link = element("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
  };

  const filenameOf = (response, fallback) => {
    const match = /filename="([A-Za-z0-9._-]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : fallback;
  };

  const copyText = async (textarea) => {
    try {
      await navigator.clipboard.writeText(textarea.value);
      return true;
    } catch {
      // No Clipboard API here (an iframe without clipboard-write, an older browser).
      textarea.focus();
      textarea.select();
      try {
        return document.execCommand("copy");
      } catch {
        return false;
      }
    }
  };

  const attach = (container, { moduleId, opportunityId, token = null, template = null, impressionId = null }) => {
    const recordEvent = (kind) => {
      if (impressionId && window.BeInspiredEvents) window.BeInspiredEvents.record(impressionId, kind);
    };
    const path = `/api/v1/modules/${encodeURIComponent(moduleId)}/personalised`;
    const query = `?opportunity=${encodeURIComponent(opportunityId)}`;
    const stem = `${String(moduleId).toLowerCase().replace(/[^a-z0-9-]+/g, "-")}-personalised`;
    const headers = (extra) => (token ? { ...extra, Authorization: `Bearer ${token}` } : extra);

    const call = async (url, options = {}) => {
      const response = await fetch(url, { credentials: "omit", ...options });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        throw new Error((data.error && data.error.message) || "Be Inspired could not personalise this.");
      }
      return response;
    };

    const start = button("Personalise for this opportunity", "personalise", "slds-button slds-button_brand");
    const status = element("p", "slds-text-body_small bi-personalise__status");
    status.setAttribute("role", "status");
    status.dataset.testid = "personalise-status";
    container.replaceChildren(start, status);

    // A download of the rep's edited text, converted by the server (.docx, .pdf).
    const download = (trigger, extension, what) => async (textarea) => {
      recordEvent("download");
      trigger.disabled = true;
      status.textContent = `Preparing the ${what}…`;
      try {
        const response = await call(`${path}.${extension}${query}`, {
          method: "POST",
          headers: headers({ "Content-Type": "application/json" }),
          body: JSON.stringify({ markdown: textarea.value }),
        });
        saveFile(await response.blob(), filenameOf(response, `${stem}.${extension}`));
        status.textContent = `Downloaded as a ${what}.`;
      } catch (error) {
        status.textContent = error.message;
      } finally {
        trigger.disabled = false;
      }
    };

    const gapsIn = (text) => [...new Set([...text.matchAll(GAP)].map((m) => m[0].slice(1, -1)))];
    const gapNotice = (gaps) => `Not in Salesforce for this opportunity: ${gaps.join(", ")}. ` +
      "Fill in the highlighted gaps before you send it.";

    const show = (data) => {
      const output = element("div", "bi-personalised");
      output.dataset.testid = "personalised";

      // The actions and what they answer stay together at the top of the panel while the rep
      // scrolls through the text, so "Copied" appears where the rep clicked.
      const toolbar = element("div", "bi-personalised__toolbar");
      const actions = element("div", "bi-personalised__actions");
      const copy = button("Copy", "copy-personalised");
      const markdown = button("Download .md", "download-md");
      const docx = button("Download .docx", "download-docx");
      const pdf = button("Download .pdf", "download-pdf");
      actions.append(copy, markdown, docx, pdf);
      toolbar.append(actions, status);

      const field = element("div", "slds-form-element");
      const label = element("label", "slds-form-element__label", "Edit before you copy or download (Markdown)");
      label.htmlFor = `bi-personalised-${stem}`;
      const control = element("div", "slds-form-element__control");
      const textarea = element("textarea", "slds-textarea bi-personalised__text");
      textarea.id = label.htmlFor;
      textarea.rows = 12;
      textarea.spellcheck = true;
      textarea.value = data.markdown;
      textarea.dataset.testid = "personalised-text";
      control.append(textarea);
      field.append(label, control);

      output.append(toolbar);
      if (data.notice) {
        const notice = element("div", "slds-scoped-notification slds-scoped-notification_light bi-notice slds-m-vertical_x-small", data.notice);
        notice.setAttribute("role", "note");
        notice.dataset.testid = "personalise-notice";
        output.append(notice);
      }
      // Which gaps are left, from the text itself: the notice goes once the rep has filled them.
      const missing = element("div", "slds-scoped-notification slds-scoped-notification_light bi-notice slds-m-vertical_x-small");
      missing.setAttribute("role", "note");
      missing.dataset.testid = "personalise-missing";
      const showGaps = () => {
        const gaps = gapsIn(textarea.value);
        missing.hidden = gaps.length === 0;
        missing.textContent = gaps.length ? gapNotice(gaps) : "";
      };
      showGaps();

      const previewTitle = element("h3", "slds-text-title_caps slds-m-top_medium slds-m-bottom_x-small", "Preview");
      const stale = element("p", "slds-text-body_small slds-text-color_weak", "The preview could not follow your last edits.");
      stale.hidden = true;
      stale.dataset.testid = "preview-stale";
      const preview = element("div", "slds-rich-text-editor__output bi-body bi-personalised__preview");
      preview.dataset.testid = "personalised-preview";
      preview.innerHTML = data.html; // sanitised on the server (nh3)
      highlightGaps(preview);

      output.append(missing, field, previewTitle, stale, preview);

      // The preview follows the edits: the server renders and sanitises them, as it did the
      // template, a moment after the rep stops typing; only the latest answer is shown.
      let timer = null;
      let asked = 0;
      const refreshPreview = async () => {
        const ask = ++asked;
        try {
          const response = await call(`${path}/preview${query}`, {
            method: "POST",
            headers: headers({ "Content-Type": "application/json", Accept: "application/json" }),
            body: JSON.stringify({ markdown: textarea.value }),
          });
          const answer = await response.json();
          if (ask !== asked) return;
          preview.innerHTML = answer.html; // sanitised on the server (nh3)
          highlightGaps(preview);
          stale.hidden = true;
        } catch {
          if (ask === asked) stale.hidden = false;
        }
      };
      textarea.addEventListener("input", () => {
        showGaps();
        clearTimeout(timer);
        timer = setTimeout(refreshPreview, 400);
      });
      copy.addEventListener("click", async () => {
        recordEvent("copy");
        status.textContent = (await copyText(textarea))
          ? "Copied to the clipboard."
          : "Select the text and press Ctrl+C (⌘C on a Mac) to copy it.";
      });
      markdown.addEventListener("click", () => {
        recordEvent("download");
        saveFile(new Blob([textarea.value], { type: "text/markdown;charset=utf-8" }), `${stem}.md`);
        status.textContent = "Downloaded as Markdown.";
      });
      const saveDocx = download(docx, "docx", "Word document");
      const savePdf = download(pdf, "pdf", "PDF");
      docx.addEventListener("click", () => saveDocx(textarea));
      pdf.addEventListener("click", () => savePdf(textarea));

      start.hidden = true;
      if (template) template.hidden = true;
      container.append(output);
      // Focus the text at its start: Chromium would otherwise put the caret, and the scroll, at its end.
      textarea.setSelectionRange(0, 0);
      textarea.focus({ preventScroll: true });
      textarea.scrollTop = 0;
    };

    start.addEventListener("click", async () => {
      start.disabled = true;
      status.textContent = "Personalising…";
      try {
        const response = await call(path + query, { headers: headers({ Accept: "application/json" }) });
        status.textContent = "";
        show(await response.json());
        recordEvent("personalise");
      } catch (error) {
        status.textContent = error.message;
        start.disabled = false;
      }
    });
  };

  window.BeInspiredPersonalise = { attach };

  document.addEventListener("DOMContentLoaded", () => {
    for (const container of document.querySelectorAll("[data-personalise]")) {
      attach(container, {
        moduleId: container.dataset.moduleId,
        opportunityId: container.dataset.opportunityId,
        template: document.getElementById(container.dataset.template),
        impressionId: container.dataset.impressionId || null,
      });
    }
  });
})();
