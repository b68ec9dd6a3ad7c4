// The panel inside Salesforce. Its app token lives in this script's memory only: a third-party
// iframe may get no cookies and no storage, so nothing here relies on either. Every API call
// carries the token in an Authorization header. Without a token (demo mode) plain links work.
(() => {
  "use strict";
  const body = document.body;
  const token = body.dataset.appToken;
  if (!token) return;
  body.removeAttribute("data-app-token");
  const opportunityId = body.dataset.opportunityId;
  // panel-events.js sends what the rep does with the suggestions; it needs the token too.
  if (window.BeInspiredEvents) window.BeInspiredEvents.authorise(token);
  if (window.BeInspiredRefreshers) window.BeInspiredRefreshers.authorise(token);

  const card = document.querySelector(".bi-panel__card");
  const moduleView = document.createElement("article");
  moduleView.className = "slds-card bi-panel__card";
  moduleView.hidden = true;
  moduleView.dataset.testid = "module-view";
  card.after(moduleView);

  const api = async (path) => {
    const response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      credentials: "omit",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = (data.error && data.error.message) || "Be Inspired could not load this.";
      throw new Error(message);
    }
    return data;
  };

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const showSuggestions = () => {
    moduleView.hidden = true;
    card.hidden = false;
  };

  const showModule = (module, impressionId) => {
    moduleView.replaceChildren();
    const header = element("div", "slds-card__header");
    const back = element("button", "slds-button", "← Back to suggestions");
    back.type = "button";
    back.addEventListener("click", showSuggestions);
    const title = element("h2", "slds-text-heading_medium slds-m-top_x-small", module.title);
    title.dataset.testid = "module-title";
    const meta = element("p", "slds-text-body_small slds-text-color_weak",
      `${module.kind_label} · ${module.audience_label} · by ${module.author}`);
    header.append(back, title, meta);
    const content = element("div", "slds-card__body slds-card__body_inner");
    if (module.summary) content.append(element("p", "slds-m-bottom_small bi-summary", module.summary));
    const bodyHtml = element("div", "slds-rich-text-editor__output bi-body");
    bodyHtml.innerHTML = module.body_html; // sanitised on the server (nh3)
    if (module.placeholders && module.placeholders.length && window.BeInspiredPersonalise) {
      // A template: personalise.js fills it with this opportunity's data, with our token.
      const personalise = element("div", "bi-personalise");
      content.append(personalise);
      window.BeInspiredPersonalise.attach(personalise, {
        moduleId: module.module_id, opportunityId, token, template: bodyHtml, impressionId,
      });
    }
    content.append(bodyHtml);
    moduleView.append(header, content);
    card.hidden = true;
    moduleView.hidden = false;
    back.focus();
  };

  const showError = (message) => {
    moduleView.replaceChildren(element("div", "slds-notify slds-notify_alert slds-alert_error", message));
    const back = element("button", "slds-button slds-m-around_small", "← Back to suggestions");
    back.type = "button";
    back.addEventListener("click", showSuggestions);
    moduleView.append(back);
    card.hidden = true;
    moduleView.hidden = false;
  };

  // The search: the form would navigate without the token, so its results are fetched with it
  // (the server renders the same cards as the suggestions) and shown in place.
  const searchForm = card.querySelector("[data-panel-search]");
  const searchResults = card.querySelector("[data-search-results]");
  const suggestionLists = card.querySelector("[data-suggestion-lists]");
  const showSearch = (html) => {
    searchResults.innerHTML = html; // our own template's output, escaped by Jinja
    suggestionLists.hidden = true;
    // Say what was found: focus moves to the results' heading, as a page load would read it.
    const heading = searchResults.querySelector("h3");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  };
  const clearSearch = () => {
    searchResults.replaceChildren();
    suggestionLists.hidden = false;
    searchForm.reset();
    searchForm.querySelector("input").value = "";
  };
  const searchMessage = (text) => {
    const message = element("p", "slds-text-color_error slds-p-vertical_x-small", text);
    message.setAttribute("role", "alert");
    message.dataset.testid = "search-error";
    searchResults.replaceChildren(message);
  };
  if (searchForm && searchResults && suggestionLists) {
    searchForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const query = new URLSearchParams({ q: searchForm.elements.q.value, fragment: "1" });
      try {
        const response = await fetch(`${searchForm.action}?${query}`, {
          headers: { Authorization: `Bearer ${token}`, Accept: "text/html" },
          credentials: "omit",
        });
        const html = await response.text();
        if (response.ok) {
          showSearch(html);
        } else {
          // An error page of ours: show its message as text.
          const page = new DOMParser().parseFromString(html, "text/html");
          const found = page.querySelector(".bi-error__message");
          searchMessage(found ? found.textContent.trim() : "Be Inspired could not search just now.");
        }
      } catch {
        searchMessage("Be Inspired could not search just now.");
      }
    });
  }

  document.addEventListener("click", async (event) => {
    if (event.target.closest("[data-search-clear]")) {
      event.preventDefault();
      clearSearch();
      return;
    }
    const link = event.target.closest("a[data-module-link]");
    if (!link) return;
    event.preventDefault(); // panel-events.js records the "open"
    const card = link.closest("[data-impression-id]");
    try {
      showModule(await api(`/api/v1/modules/${encodeURIComponent(link.dataset.moduleLink)}`),
        card ? card.dataset.impressionId : null);
    } catch (error) {
      showError(error.message);
    }
  });
})();
