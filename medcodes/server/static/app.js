// The medcodes search page: suggestions as you type, results with highlights, facets, pages of
// results and the code page view, all from the JSON API of `medcodes serve`.
//
// Safety rule: everything that comes from a page or a query reaches the DOM as text (textContent,
// createTextNode); highlights are applied by splitting the text at their offsets, and a URL becomes
// a link only when it is http(s). No data is ever given to innerHTML.
"use strict";

(function () {
  const PAGE_SIZE = 10;
  const MAX_OFFSET = 1000; // the server's bound on `offset` (medcodes/server/limits.py)
  const SUGGEST_DELAY_MS = 120; // debounce: one /suggest per pause in typing, not one per key
  const SUGGEST_LIMIT = 8;

  const $ = (id) => document.getElementById(id);
  const form = $("search-form");
  const box = $("q");
  const list = $("suggestions");
  const status = $("status");
  const didYouMean = $("did-you-mean");
  const didYouMeanLink = $("did-you-mean-link");
  const notices = $("notices");
  const resultsView = $("results-view");
  const facetList = $("facet-list");
  const hitList = $("hits");
  const pager = $("pager");
  const codePage = $("code-page");
  const intro = $("intro");

  let suggestTimer = 0;
  let suggestController = null;
  let searchController = null;
  let suggestions = []; // the items shown in the list
  let active = -1; // the suggestion chosen with the arrows, -1 when none

  // ---- building DOM from text --------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Appends `text` to `parent`, with <mark> around the [start, end) spans. The server counts
  // offsets in Unicode code points (Python's str), so the text is split by code point, not by
  // UTF-16 unit, and spans out of range or overlapping are clipped rather than trusted.
  function appendHighlighted(parent, text, spans) {
    const chars = Array.from(String(text || ""));
    const sorted = (Array.isArray(spans) ? spans : [])
      .filter((s) => Array.isArray(s) && s.length === 2 && Number.isInteger(s[0]) && Number.isInteger(s[1]))
      .map((s) => [Math.max(0, s[0]), Math.min(chars.length, s[1])])
      .filter((s) => s[0] < s[1])
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [start, end] of sorted) {
      if (start < at) continue;
      if (start > at) parent.appendChild(document.createTextNode(chars.slice(at, start).join("")));
      parent.appendChild(el("mark", "", chars.slice(start, end).join("")));
      at = end;
    }
    if (at < chars.length) parent.appendChild(document.createTextNode(chars.slice(at).join("")));
  }

  // A page's url field becomes a link only if it is http(s); anything else (javascript:, data:…)
  // is shown as plain text.
  function safeHref(url) {
    if (typeof url !== "string" || !url) return null;
    let parsed;
    try {
      parsed = new URL(url);
    } catch (_) {
      return null;
    }
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  }

  function sourceLink(url) {
    const href = safeHref(url);
    if (!href) return el("span", "source", url || "");
    const a = el("a", "source", url);
    a.href = href;
    a.rel = "noopener noreferrer nofollow";
    a.target = "_blank";
    return a;
  }

  // Headings for the section names of the site's templates (pipeline/sections.py) whose name is
  // shorter than the heading; any other name is shown with its underscores as spaces.
  const SECTION_HEADINGS = {
    name: "Name",
    procedure: "Procedure description",
    risks: "Risks and complications",
    experience: "Patient experience",
    alt_names: "Also called",
  };

  function sectionLabel(name) {
    if (Object.prototype.hasOwnProperty.call(SECTION_HEADINGS, name)) return SECTION_HEADINGS[name];
    const words = String(name || "").replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  // ---- the address bar: ?q=…&system=…&page=… for results, ?code=SYSTEM/CODE for a code page --

  function readState() {
    const params = new URLSearchParams(window.location.search);
    const page = parseInt(params.get("page") || "1", 10);
    return {
      q: params.get("q") || "",
      system: params.get("system") || "",
      page: Number.isFinite(page) && page > 0 ? page : 1,
      code: params.get("code") || "",
    };
  }

  function stateUrl(state) {
    const params = new URLSearchParams();
    if (state.code) {
      params.set("code", state.code);
    } else if (state.q) {
      params.set("q", state.q);
      if (state.system) params.set("system", state.system);
      if (state.page > 1) params.set("page", String(state.page));
    }
    const query = params.toString();
    return window.location.pathname + (query ? "?" + query : "");
  }

  function navigate(state) {
    const url = stateUrl(state);
    if (url !== window.location.pathname + window.location.search) window.history.pushState(null, "", url);
    render(state);
  }

  // A link that works when opened in a new tab or shared, and navigates in place on a plain click.
  function stateLink(text, state, className) {
    const a = el("a", className, text);
    a.href = stateUrl(state);
    a.addEventListener("click", (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(state);
    });
    return a;
  }

  function codeState(system, code) {
    return { q: "", system: "", page: 1, code: system + "/" + code };
  }

  // ---- talking to the server ----------------------------------------------------------------

  async function getJson(path, params, controller) {
    const query = params ? "?" + new URLSearchParams(params).toString() : "";
    const response = await fetch(path + query, {
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined,
    });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) {
      const error = (body && body.error) || {};
      const failure = new Error(error.message || "the server answered " + response.status);
      failure.status = response.status;
      failure.body = body;
      throw failure;
    }
    return body;
  }

  // ---- suggestions ----------------------------------------------------------------------------

  function closeSuggestions() {
    clearTimeout(suggestTimer);
    if (suggestController) suggestController.abort();
    suggestController = null;
    suggestions = [];
    active = -1;
    list.replaceChildren();
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  function showSuggestions(items) {
    suggestions = items;
    active = -1;
    list.replaceChildren();
    items.forEach((item, index) => {
      const li = el("li", "suggestion");
      li.id = "suggestion-" + index;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      const code = el("span", "code");
      appendHighlighted(code, item.code, item.code_highlights); // J92 in J9201
      li.appendChild(code);
      li.appendChild(el("span", "system", item.system));
      const title = el("span", "title");
      appendHighlighted(title, item.title, item.highlights);
      li.appendChild(title);
      // mousedown, not click: it comes before the box's blur would close the list.
      li.addEventListener("mousedown", (event) => {
        event.preventDefault();
        openSuggestion(index);
      });
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    box.setAttribute("aria-expanded", items.length ? "true" : "false");
  }

  function moveActive(step) {
    if (!suggestions.length) return;
    active = active + step;
    if (active >= suggestions.length) active = 0;
    if (active < -1) active = suggestions.length - 1;
    Array.from(list.children).forEach((li, index) => {
      const on = index === active;
      li.classList.toggle("active", on);
      li.setAttribute("aria-selected", on ? "true" : "false");
    });
    if (active >= 0) box.setAttribute("aria-activedescendant", "suggestion-" + active);
    else box.removeAttribute("aria-activedescendant");
  }

  function openSuggestion(index) {
    const item = suggestions[index];
    closeSuggestions();
    if (item) navigate(codeState(item.system, item.code));
  }

  async function fetchSuggestions(text) {
    if (suggestController) suggestController.abort();
    const controller = new AbortController();
    suggestController = controller;
    const params = { q: text, limit: String(SUGGEST_LIMIT) };
    try {
      const body = await getJson("suggest", params, controller);
      if (controller !== suggestController || box.value.trim() !== text) return; // typed on since
      const items = (body && Array.isArray(body.suggestions) && body.suggestions) || [];
      showSuggestions(items);
    } catch (error) {
      if (error.name !== "AbortError" && controller === suggestController) closeSuggestions();
    }
  }

  box.addEventListener("input", () => {
    clearTimeout(suggestTimer);
    const text = box.value.trim();
    if (!text) {
      closeSuggestions();
      return;
    }
    suggestTimer = setTimeout(() => fetchSuggestions(text), SUGGEST_DELAY_MS);
  });

  box.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      moveActive(1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      moveActive(-1);
    } else if (event.key === "Escape") {
      if (!list.hidden) event.preventDefault();
      closeSuggestions();
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      openSuggestion(active);
    }
  });

  box.addEventListener("blur", () => closeSuggestions());

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    closeSuggestions();
    const q = box.value.trim();
    if (q) navigate({ q: q, system: "", page: 1, code: "" });
  });

  // ---- results --------------------------------------------------------------------------------

  function clearViews() {
    status.textContent = "";
    status.classList.remove("error");
    didYouMean.hidden = true;
    notices.hidden = true;
    notices.replaceChildren();
    resultsView.hidden = true;
    codePage.hidden = true;
    codePage.replaceChildren();
    intro.hidden = true;
  }

  function showError(message) {
    status.textContent = message;
    status.classList.add("error");
  }

  function renderHit(hit, state) {
    const li = el("li", "hit");
    const head = el("div", "hit-head");
    head.appendChild(stateLink(hit.code, codeState(hit.system, hit.code), "code"));
    head.appendChild(el("span", "system", hit.system));
    head.appendChild(stateLink(hit.title, codeState(hit.system, hit.code), "title"));
    li.appendChild(head);
    if (hit.snippet) {
      const snippet = el("p", "snippet");
      snippet.appendChild(el("span", "section", sectionLabel(hit.section) + ": "));
      const text = el("span", "snippet-text");
      appendHighlighted(text, hit.snippet, hit.highlights);
      snippet.appendChild(text);
      li.appendChild(snippet);
    }
    if (hit.url) li.appendChild(sourceLink(hit.url));
    return li;
  }

  function renderFacets(facets, state) {
    facetList.replaceChildren();
    const systems = Object.keys(facets || {});
    const all = el("li", state.system ? "" : "active");
    all.appendChild(stateLink("All systems", { q: state.q, system: "", page: 1, code: "" }, "facet"));
    facetList.appendChild(all);
    if (state.system && !systems.includes(state.system)) systems.push(state.system);
    for (const system of systems) {
      const li = el("li", system === state.system ? "active" : "");
      const link = stateLink(system, { q: state.q, system: system, page: 1, code: "" }, "facet");
      link.dataset.system = system;
      const count = facets && typeof facets[system] === "number" ? facets[system] : null;
      if (count !== null) link.appendChild(el("span", "count", String(count)));
      li.appendChild(link);
      facetList.appendChild(li);
    }
  }

  function renderPager(total, state) {
    pager.replaceChildren();
    const pages = Math.min(Math.ceil(total / PAGE_SIZE), Math.floor(MAX_OFFSET / PAGE_SIZE) + 1);
    if (pages <= 1) return;
    const to = (page) => ({ q: state.q, system: state.system, page: page, code: "" });
    if (state.page > 1) pager.appendChild(stateLink("‹ Previous", to(state.page - 1), "prev"));
    const first = Math.max(1, state.page - 4);
    const last = Math.min(pages, first + 9);
    for (let page = first; page <= last; page++) {
      if (page === state.page) pager.appendChild(el("span", "current", String(page)));
      else pager.appendChild(stateLink(String(page), to(page), "page"));
    }
    if (state.page < pages) pager.appendChild(stateLink("Next ›", to(state.page + 1), "next"));
  }

  async function runSearch(state) {
    if (searchController) searchController.abort();
    const controller = new AbortController();
    searchController = controller;
    document.title = state.q + " – medcodes";
    status.textContent = "Searching…";
    const params = {
      q: state.q,
      limit: String(PAGE_SIZE),
      offset: String((state.page - 1) * PAGE_SIZE),
      facets: "1",
    };
    // Filtered by a system, the counts of every system still come from the unfiltered query, so
    // that the other systems stay there to switch to.
    let facetsOfAll = Promise.resolve(null);
    if (state.system) {
      params.system = state.system;
      facetsOfAll = getJson("search", { q: state.q, limit: "1", facets: "1" }, controller)
        .then((all) => all.facets)
        .catch(() => null);
    }
    let body;
    let facets;
    try {
      body = await getJson("search", params, controller);
      facets = (await facetsOfAll) || body.facets;
    } catch (error) {
      if (error.name === "AbortError") return;
      if (controller === searchController) showError("Error: " + error.message);
      return;
    }
    if (controller !== searchController) return;
    const hits = Array.isArray(body.hits) ? body.hits : [];
    const total = typeof body.total === "number" ? body.total : hits.length;
    const shownFrom = hits.length ? (state.page - 1) * PAGE_SIZE + 1 : 0;
    status.textContent = total
      ? "Results " + shownFrom + "–" + (shownFrom + hits.length - 1) + " of " + total +
        (typeof body.took_ms === "number" ? " (" + Math.round(body.took_ms) + " ms)" : "")
      : "No page matches.";
    if (body.did_you_mean) {
      didYouMeanLink.textContent = body.did_you_mean;
      didYouMeanLink.href = stateUrl({ q: body.did_you_mean, system: state.system, page: 1, code: "" });
      didYouMean.hidden = false;
    }
    const messages = Array.isArray(body.notices) ? body.notices : [];
    notices.replaceChildren(...messages.map((text) => el("li", "notice", text)));
    notices.hidden = messages.length === 0;
    hitList.replaceChildren(...hits.map((hit) => renderHit(hit, state)));
    hitList.start = shownFrom || 1;
    renderFacets(facets, state);
    renderPager(total, state);
    resultsView.hidden = false;
  }

  didYouMeanLink.addEventListener("click", (event) => {
    event.preventDefault();
    const q = didYouMeanLink.textContent;
    box.value = q;
    navigate({ q: q, system: readState().system, page: 1, code: "" });
  });

  // ---- the code page view -------------------------------------------------------------------

  function renderCodePage(record) {
    codePage.replaceChildren();
    const head = el("header", "page-head");
    head.appendChild(el("span", "code", record.code));
    head.appendChild(el("span", "system", record.system));
    head.appendChild(el("h1", "title", record.title));
    codePage.appendChild(head);
    if (record.url) codePage.appendChild(sourceLink(record.url));
    const altNames = Array.isArray(record.alt_names) ? record.alt_names : [];
    if (altNames.length) codePage.appendChild(el("p", "alt-names", "Also called: " + altNames.join("; ")));
    const sections = record.sections || {};
    const headings = record.headings || {};
    // The server sends sections in page order; a JSON object keeps that order for names like these.
    for (const name of Object.keys(sections)) {
      const section = el("section", "page-section");
      section.dataset.section = name;
      section.appendChild(el("h2", "", headings[name] || sectionLabel(name)));
      for (const paragraph of String(sections[name] || "").split("\n")) {
        if (paragraph.trim()) section.appendChild(el("p", "", paragraph));
      }
      codePage.appendChild(section);
    }
    document.title = record.code + " " + record.title + " – medcodes";
  }

  function renderCodeError(error, system, code) {
    const body = (error.body && error.body.error) || {};
    showError("Error: " + error.message);
    const others = body.did_you_mean || body.suggestions || [];
    if (Array.isArray(others) && others.length) {
      const p = el("p", "did-you-mean-codes", "Did you mean: ");
      others.forEach((other, index) => {
        const otherCode = typeof other === "string" ? other : other && other.code;
        const otherSystem = (other && other.system) || system;
        if (!otherCode) return;
        if (index) p.appendChild(document.createTextNode(", "));
        p.appendChild(stateLink(otherCode, codeState(otherSystem, otherCode), "code"));
      });
      codePage.appendChild(p);
      codePage.hidden = false;
    }
  }

  async function showCode(state) {
    const slash = state.code.indexOf("/");
    const system = slash > 0 ? state.code.slice(0, slash) : "";
    const code = slash > 0 ? state.code.slice(slash + 1) : state.code;
    if (searchController) searchController.abort();
    const controller = new AbortController();
    searchController = controller;
    status.textContent = "Loading…";
    try {
      const record = await getJson(
        "codes/" + encodeURIComponent(system) + "/" + encodeURIComponent(code), null, controller);
      if (controller !== searchController) return;
      status.textContent = "";
      renderCodePage(record);
      codePage.hidden = false;
    } catch (error) {
      if (error.name === "AbortError" || controller !== searchController) return;
      renderCodeError(error, system, code);
    }
  }

  // ---- one view per address --------------------------------------------------------------------

  function render(state) {
    clearViews();
    closeSuggestions();
    if (state.code) {
      showCode(state);
    } else if (state.q) {
      box.value = state.q;
      runSearch(state);
    } else {
      box.value = "";
      document.title = "medcodes";
      intro.hidden = false;
    }
  }

  window.addEventListener("popstate", () => render(readState()));
  render(readState());
  if (!readState().code) box.focus();
})();
