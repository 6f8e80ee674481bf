/// The search page at `/`: plain HTML, CSS and a little JavaScript, served by the binary itself
/// (nothing from elsewhere: it works on a network without the internet), usable on a phone. It
/// asks the JSON API: `/?q=QUERY&sort=…&page=N` runs a search, `/?pmid=N` opens a record, so both
/// can be bookmarked and shared. When the server wants a token, the page asks for it once and
/// keeps it for the browser session.
enum SearchPage {
    static let html = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>PubMed mirror</title>
    <link rel="stylesheet" href="/page.css">
    </head>
    <body>
    <header>
      <a class="home" href="/">PubMed mirror</a>
      <form id="search" role="search">
        <input id="q" name="q" type="search" placeholder='autism[tiab] AND 2020:2021[dp]' aria-label="Query in PubMed's syntax" autocomplete="off">
        <select id="sort" name="sort" aria-label="Order">
          <option value="relevance">Best match</option>
          <option value="pub_date">Newest</option>
          <option value="first_author">First author</option>
          <option value="journal">Journal</option>
          <option value="pmid">PMID</option>
        </select>
        <button type="submit">Search</button>
      </form>
    </header>
    <main>
      <form id="token" hidden>
        <label>This server needs a token: <input id="token-value" type="password" autocomplete="current-password"></label>
        <button type="submit">Use it</button>
      </form>
      <p id="message" role="status"></p>
      <section id="results" hidden>
        <p id="summary"></p>
        <p id="translation"></p>
        <p class="downloads">Download these results (up to 10,000):
          <a data-format="medline" href="#">MEDLINE</a> · <a data-format="ris" href="#">RIS</a> · <a data-format="csv" href="#">CSV</a></p>
        <ol id="hits"></ol>
        <nav class="pages"><button id="previous" type="button">Previous</button> <span id="page"></span> <button id="next" type="button">Next</button></nav>
      </section>
      <article id="record" hidden></article>
    </main>
    <footer>Searches this server's copy of PubMed. <a href="/api/openapi.json">API</a> · E-utilities at <code>/entrez/eutils/</code></footer>
    <script src="/page.js"></script>
    </body>
    </html>
    """#

    static let css = #"""
    :root { --ink: #1b1f24; --muted: #5b6470; --line: #d8dde3; --accent: #20558a; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
    * { box-sizing: border-box; }
    body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45; }
    header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: #f6f8fa; }
    .home { font-weight: 700; color: var(--ink); text-decoration: none; white-space: nowrap; }
    #search { display: flex; flex: 1 1 30rem; gap: .4rem; flex-wrap: wrap; }
    #q { flex: 1 1 16rem; min-width: 0; padding: .5rem .6rem; font-size: 1rem; border: 1px solid #9aa4ae; border-radius: 4px; }
    select, button { padding: .45rem .7rem; font-size: 1rem; border-radius: 4px; border: 1px solid #9aa4ae; background: #fff; }
    button[type=submit] { background: var(--accent); color: #fff; border-color: var(--accent); }
    main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
    #summary { font-weight: 600; margin-bottom: .25rem; }
    #translation { color: var(--muted); font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-word; margin-top: 0; }
    .downloads { font-size: .9rem; }
    #hits { padding-left: 1.5rem; }
    #hits li { margin: 0 0 1rem; }
    #hits a.title { font-weight: 600; color: var(--accent); text-decoration: none; }
    #hits a.title:hover { text-decoration: underline; }
    .meta { color: var(--muted); font-size: .9rem; }
    .pages { display: flex; gap: 1rem; align-items: center; justify-content: center; }
    #message { color: #8a1f11; }
    #record h1 { font-size: 1.35rem; line-height: 1.3; }
    #record h2 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
    #record .authors { margin: .25rem 0; }
    #record .links a { margin-right: 1rem; }
    #record .label { font-weight: 600; }
    #record ul.mesh { columns: 2 16rem; padding-left: 1.2rem; }
    footer { color: var(--muted); font-size: .85rem; text-align: center; padding: 2rem 1rem; }
    @media (max-width: 30rem) { header { padding: .5rem; } main { padding: .75rem; } #record ul.mesh { columns: 1; } }
    """#

    static let javascript = #"""
    "use strict";
    const $ = (id) => document.getElementById(id);
    const pageSize = 20;

    function headers() {
      const token = sessionStorage.getItem("token");
      return token ? { Authorization: "Bearer " + token } : {};
    }

    async function api(path) {
      const response = await fetch(path, { headers: headers() });
      if (response.status === 401) { $("token").hidden = false; throw new Error("This server needs a token."); }
      // Read as JSON only what says it is (a proxy in between may answer an error in HTML or text).
      const isJSON = (response.headers.get("content-type") || "").includes("json");
      const body = isJSON ? await response.json() : { error: { message: (await response.text()).trim() || "HTTP " + response.status } };
      if (!response.ok || !isJSON) throw new Error(body.error ? body.error.message : "HTTP " + response.status);
      return body;
    }

    function text(tag, content, className) {
      const element = document.createElement(tag);
      if (content !== undefined && content !== null) element.textContent = content;
      if (className) element.className = className;
      return element;
    }

    function link(href, content, className) {
      const a = text("a", content, className);
      a.href = href;
      return a;
    }

    function state() { return new URLSearchParams(location.search); }

    async function show() {
      const params = state();
      $("message").textContent = "";
      $("results").hidden = true;
      $("record").hidden = true;
      $("q").value = params.get("q") || "";
      $("sort").value = params.get("sort") || "relevance";
      try {
        if (params.get("pmid")) await showRecord(params.get("pmid"));
        else if (params.get("q")) await showResults(params.get("q"), params.get("sort") || "relevance", Math.max(1, parseInt(params.get("page") || "1", 10) || 1));
      } catch (error) {
        $("message").textContent = error.message;
      }
    }

    async function showResults(q, sort, page) {
      const offset = (page - 1) * pageSize;
      const found = await api(`/api/search?q=${encodeURIComponent(q)}&sort=${encodeURIComponent(sort)}&limit=${pageSize}&offset=${offset}`);
      $("summary").textContent = found.count === 1 ? "1 result" : `${found.count.toLocaleString("en")} results`;
      $("translation").textContent = found.translation + (found.notes.length ? " — " + found.notes.join("; ") : "");
      const list = $("hits");
      list.replaceChildren();
      list.start = offset + 1;
      for (const hit of found.results) {
        const item = document.createElement("li");
        item.append(link(`/?pmid=${hit.pmid}`, hit.title || "(no title)", "title"));
        item.append(text("div", [hit.journal, hit.year, "PMID " + hit.pmid].filter(Boolean).join(" · "), "meta"));
        list.append(item);
      }
      const pages = Math.max(1, Math.ceil(Math.min(found.count, 10000) / pageSize));
      $("page").textContent = `Page ${page} of ${pages.toLocaleString("en")}`;
      $("previous").disabled = page <= 1;
      $("next").disabled = page >= pages;
      $("previous").onclick = () => go({ q, sort, page: page - 1 });
      $("next").onclick = () => go({ q, sort, page: page + 1 });
      for (const anchor of document.querySelectorAll(".downloads a")) {
        anchor.onclick = (event) => { event.preventDefault(); download(q, sort, anchor.dataset.format); };
      }
      $("results").hidden = false;
      document.title = `${q} — PubMed mirror`;
    }

    function suffix(format) { return { medline: "txt", bibtex: "bib", "csl-json": "json" }[format] || format; }

    async function download(q, sort, format) {
      await save(`/api/export?q=${encodeURIComponent(q)}&sort=${encodeURIComponent(sort)}&format=${format}`, "pubmed-results." + suffix(format));
    }

    // Fetched with the token (a link the browser follows would go without it), saved as a file.
    async function save(path, filename) {
      const response = await fetch(path, { headers: headers() });
      if (!response.ok) { $("message").textContent = "The download failed: HTTP " + response.status; return; }
      const url = URL.createObjectURL(await response.blob());
      const a = link(url, "");
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      URL.revokeObjectURL(url);
    }

    function name(author) {
      if (author.collectiveName) return author.collectiveName;
      return [author.lastName, author.initials, author.suffix].filter(Boolean).join(" ");
    }

    async function showRecord(pmid) {
      const record = await api(`/api/records/${encodeURIComponent(pmid)}`);
      const view = $("record");
      view.replaceChildren();
      view.append(text("h1", record.title || "(no title)"));
      if (record.vernacularTitle) view.append(text("p", record.vernacularTitle));
      view.append(text("p", (record.authors || []).map(name).join(", "), "authors"));
      const journal = record.journal || {};
      const citation = [journal.title || journal.isoAbbreviation, record.year, journal.volume && (journal.volume + (journal.issue ? `(${journal.issue})` : "")), record.pages].filter(Boolean).join("; ");
      view.append(text("p", citation, "meta"));
      const links = text("p", null, "links");
      links.append(link(`https://pubmed.ncbi.nlm.nih.gov/${record.pmid}/`, "PMID " + record.pmid));
      if (record.doi) links.append(link("https://doi.org/" + record.doi, "DOI " + record.doi));
      if (record.pmcid) links.append(link(`https://www.ncbi.nlm.nih.gov/pmc/articles/${record.pmcid}/`, record.pmcid));
      view.append(links);
      const sections = record.abstractSections && record.abstractSections.length ? record.abstractSections : (record.abstract ? [{ text: record.abstract }] : []);
      if (sections.length) {
        view.append(text("h2", "Abstract"));
        for (const section of sections) {
          const paragraph = text("p");
          if (section.label) paragraph.append(text("span", section.label + ": ", "label"));
          paragraph.append(document.createTextNode(section.text));
          view.append(paragraph);
        }
      }
      if (record.meshHeadings && record.meshHeadings.length) {
        view.append(text("h2", "MeSH terms"));
        const list = text("ul", null, "mesh");
        for (const heading of record.meshHeadings) {
          const qualifiers = (heading.qualifiers || []).map((q) => "/" + (q.majorTopic ? "*" : "") + q.name).join("");
          list.append(text("li", (heading.majorTopic ? "*" : "") + heading.descriptor + qualifiers));
        }
        view.append(list);
      }
      if (record.keywords && record.keywords.length) { view.append(text("h2", "Keywords")); view.append(text("p", record.keywords.join("; "))); }
      if (record.publicationTypes && record.publicationTypes.length) { view.append(text("h2", "Publication types")); view.append(text("p", record.publicationTypes.join("; "))); }
      const formats = text("p", "Cite: ", "meta");
      for (const format of ["medline", "ris", "bibtex", "csl-json"]) {
        const cite = link(`/api/records/${record.pmid}?format=${format}`, format.toUpperCase());
        cite.onclick = (event) => { event.preventDefault(); save(cite.getAttribute("href"), `pubmed-${record.pmid}.${suffix(format)}`); };
        formats.append(cite);
        formats.append(document.createTextNode(" "));
      }
      view.append(formats);
      view.hidden = false;
      document.title = `${record.title} — PubMed mirror`;
    }

    function go(params) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
      history.pushState(null, "", "/?" + query.toString());
      show();
    }

    $("search").addEventListener("submit", (event) => {
      event.preventDefault();
      const q = $("q").value.trim();
      if (q) go({ q, sort: $("sort").value });
    });
    $("token").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem("token", $("token-value").value.trim());
      $("token").hidden = true;
      show();
    });
    window.addEventListener("popstate", show);
    show();
    """#
}
