// Loupe's pages: the little the server cannot do — the drill drawer and its breadcrumbs, sorting a table,
// drawing charts, the store switcher and the period presets. Everything works without it but the drawer
// (its links then open as pages) and the charts.
"use strict";

(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // --- the drawer: a drillable cell opens the rows behind it; drills inside it go further, with crumbs
  const trail = [];
  let opener = null;

  function drawer() { return $("#drawer"); }

  function renderCrumbs() {
    const nav = $("#drawer-crumbs");
    if (!nav) return;
    nav.textContent = "";
    trail.forEach((step, i) => {
      if (i > 0) nav.append(" › ");
      if (i === trail.length - 1) {
        const s = document.createElement("span");
        s.textContent = step.title;
        s.setAttribute("aria-current", "page");
        nav.append(s);
      } else {
        const a = document.createElement("a");
        a.href = step.page;
        a.textContent = step.title;
        a.addEventListener("click", (e) => { e.preventDefault(); trail.length = i; load(step); });
        nav.append(a);
      }
    });
  }

  async function load(step) {
    const d = drawer();
    const body = $("#drawer-body");
    d.classList.add("open");
    d.setAttribute("aria-hidden", "false");
    $(".scrim").hidden = false;
    d.setAttribute("aria-busy", "true");
    const res = await fetch(step.url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (res.status === 401 || res.headers.get("HX-Redirect")) {
      window.location = res.headers.get("HX-Redirect") || "/sign-in";
      return;
    }
    body.innerHTML = await res.text();
    const content = $(".drawer-content", body);
    step.title = (content && content.dataset.title) || step.title || "Rows";
    trail.push(step);
    renderCrumbs();
    d.removeAttribute("aria-busy");
    d.dataset.depth = String(trail.length);
    d.focus();
  }

  function close() {
    const d = drawer();
    if (!d) return;
    d.classList.remove("open");
    d.setAttribute("aria-hidden", "true");
    $(".scrim").hidden = true;
    trail.length = 0;
    delete d.dataset.depth;
    if (opener) opener.focus();
  }

  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-drawer]");
    // a page without the drawer (an error page) follows the link instead
    if (a && drawer() && !e.ctrlKey && !e.metaKey && !e.shiftKey && e.button === 0) {
      e.preventDefault();
      if (!drawer().classList.contains("open")) { trail.length = 0; opener = a; }
      const results = a.closest("#find-results");
      if (results) results.textContent = "";
      load({ url: a.dataset.drawer, page: a.href, title: a.textContent.trim() });
      return;
    }
    if (e.target.closest("[data-close-drawer]")) close();
    if (e.target.closest("[data-print]")) window.print();
    const series = e.target.closest("[data-series]");
    if (series) showSeries(series.dataset.series);
    const th = e.target.closest("th .sort");
    if (th) sortBy(th.closest("th"));
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") close(); });

  // --- sorting a table by a column (the rows on the page): numbers as numbers, text and ISO dates as text
  function sortBy(th) {
    const table = th.closest("table");
    const i = Array.from(th.parentNode.children).indexOf(th);
    const numeric = th.classList.contains("num");
    const dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    $$("th", table).forEach((h) => h.setAttribute("aria-sort", "none"));
    th.setAttribute("aria-sort", dir);
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const key = (r) => r.cells[i].dataset.sort || "";
    rows.sort((a, b) => {
      let c;
      if (numeric) {
        const x = key(a), y = key(b);
        c = (x === "" ? -Infinity : Number(x)) - (y === "" ? -Infinity : Number(y));
      } else {
        c = key(a).localeCompare(key(b));
      }
      return dir === "ascending" ? c : -c;
    });
    rows.forEach((r) => body.appendChild(r));
  }

  // --- the store switcher reloads the page for the chosen store
  document.addEventListener("change", (e) => {
    const form = e.target.closest("form[data-autosubmit]");
    if (form) form.submit();
    if (e.target.matches("[data-preset]")) preset(e.target);
  });

  // --- period presets fill the filters' dates (the org's calendar is the browser's here)
  function iso(d) {
    const p = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate());
  }
  function preset(sel) {
    const form = sel.form;
    const now = new Date();
    const y = now.getFullYear(), m = now.getMonth();
    const ranges = {
      today: [now, now],
      this_month: [new Date(y, m, 1), now],
      last_month: [new Date(y, m - 1, 1), new Date(y, m, 0)],
      this_quarter: [new Date(y, m - (m % 3), 1), now],
      this_year: [new Date(y, 0, 1), now],
      last_30: [new Date(y, m, now.getDate() - 29), now],
    };
    const r = ranges[sel.value];
    if (!r) return;
    const from = form.elements.from, to = form.elements.to, asOf = form.elements.as_of;
    if (from && to) { from.value = iso(r[0]); to.value = iso(r[1]); }
    else if (asOf) { asOf.value = iso(r[1]); }
  }

  // --- charts (ECharts, shipped with the app)
  const palette = ["#1f4e79", "#9aa9b8", "#0b6e4f", "#c77d00"];
  let sales = null, salesData = null, salesSeries = "daily";

  function showSeries(name) {
    salesSeries = name;
    $$("[data-series]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.series === name)));
    drawSales();
  }

  function drawSales() {
    const el = $("#sales-chart");
    if (!el || !window.echarts || !salesData) return;
    if (!sales || sales.getDom() !== el) sales = window.echarts.init(el, null, { renderer: "canvas" });
    const s = salesData[salesSeries];
    sales.setOption({
      color: palette,
      animation: false,
      grid: { left: 64, right: 16, top: 32, bottom: 32 },
      tooltip: { trigger: "axis" },
      legend: { data: ["Sales", "A year earlier"], top: 0 },
      xAxis: { type: "category", data: s.periods },
      yAxis: { type: "value" },
      series: [
        { name: "Sales", type: salesSeries === "daily" ? "bar" : "line", data: s.sales.map(Number) },
        { name: "A year earlier", type: "line", data: s.year_before.map(Number), lineStyle: { type: "dashed" } },
      ],
    }, true);
    sales.off("click");
    sales.on("click", (p) => { const href = s.links[p.dataIndex]; if (href) window.location = href; });
    el.dataset.drawn = "true";
  }

  function drawReport() {
    const el = $("#report-chart");
    if (!el || !window.echarts || !el.dataset.chart) return;
    const c = JSON.parse(el.dataset.chart);
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: palette,
      animation: false,
      title: { text: c.title, textStyle: { fontSize: 14 } },
      grid: { left: 64, right: 16, top: 48, bottom: 48 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, right: 0 },
      xAxis: { type: "category", data: c.categories, axisLabel: { interval: 0, rotate: c.categories.length > 8 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: c.series.map(([name, data]) => ({ name, type: c.kind, data: data.map(Number) })),
    });
    el.dataset.drawn = "true";
  }

  function init(root) {
    const el = $("#sales-chart", root) || (root.id === "sales-chart" ? root : null);
    if (el && el.dataset.sales) {
      salesData = JSON.parse(el.dataset.sales);
      showSeries(salesSeries);
    }
    if ($("#report-chart", root)) drawReport();
  }

  window.addEventListener("resize", () => { if (sales) sales.resize(); });
  document.addEventListener("htmx:load", (e) => init(e.target));
  window.addEventListener("load", () => init(document));
})();
