"use strict";
// corpuskit report. Corpus text reaches the page only through textContent / text nodes:
// never innerHTML. Lists render a page at a time so 10,000 passages stay responsive.
(function () {
  var DATA = JSON.parse(document.getElementById("corpus-data").textContent);
  var DOCS = DATA.docs || [];
  var PASSAGES = DATA.passages || [];
  var PAGE = 20;
  var MAX_SOURCES = 40; // sources shown per passage before a "show all" button
  var MAX_D = 2000; // Myers edit-distance cap; past it the diff falls back to paragraphs
  var FOLD_WORDS = 120; // unchanged runs longer than this are folded in side-by-side diffs
  var nf = new Intl.NumberFormat("en-US");

  var docIndex = new Map();
  DOCS.forEach(function (d, i) { if (!docIndex.has(d.id)) docIndex.set(d.id, i); });

  // ------------------------------------------------------------------ DOM helpers
  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var k = arguments[i];
      if (k === null || k === undefined || k === false) continue;
      parent.appendChild(typeof k === "string" ? document.createTextNode(k) : k);
    }
    return parent;
  }
  function safeUrl(u) { return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null; }
  function fmt(n) { return nf.format(n); }
  function plural(n, one, many) { return fmt(n) + " " + (n === 1 ? one : many); }
  function badge(text, cls) { return h("span", "badge" + (cls ? " " + cls : ""), text); }
  function dot() { return h("span", "s-sub", "·"); }
  function docTitle(d) { return d.title || d.id; }
  function titleNode(d) {
    var url = safeUrl(d.url);
    var e = h(url ? "a" : "span", "s-title", docTitle(d));
    if (url) {
      e.href = url;
      e.target = "_blank";
      e.rel = "noopener noreferrer";
      e.title = url;
    }
    return e;
  }
  function simNode(sim) {
    if (typeof sim !== "number") return null;
    var wrap = h("span", "sim");
    wrap.title = "similarity " + sim.toFixed(4);
    var bar = h("span", "sim-bar");
    var fill = h("span");
    fill.style.width = Math.max(0, Math.min(100, sim * 100)).toFixed(1) + "%";
    add(bar, fill);
    return add(wrap, bar, sim.toFixed(2));
  }
  function jumpLink(label, tab, query) {
    var a = h("a", "s-sub", label);
    a.href = "#" + tab;
    a.addEventListener("click", function (ev) { ev.preventDefault(); jump(tab, query); });
    return a;
  }
  function docMeta(d, withId) {
    var bits = [d.site, d.date, d.lang, d.by ? "by " + d.by : null].filter(Boolean);
    var sub = h("span", "s-sub", bits.join(" · "));
    var frag = document.createDocumentFragment();
    if (bits.length) add(frag, sub);
    if (withId !== false) {
      if (bits.length) add(frag, dot());
      add(frag, jumpLink(d.src && d.src !== d.id ? d.src : d.id, "documents", d.id));
    }
    return frag;
  }

  // A diff piece that starts a new word needs a space after a piece that ended one.
  var NO_SPACE_BEFORE = /^[\s,.;:!?)\]}\u00bb\u201d\u2019'"%]/;
  function renderPieces(parent, diff) {
    var last = "";
    for (var i = 0; i < diff.length; i++) {
      var op = diff[i][0], t = diff[i][1];
      if (!t) continue;
      if (last && !/\s$/.test(last) && !NO_SPACE_BEFORE.test(t)) add(parent, " ");
      if (op === "+") add(parent, h("ins", null, t));
      else if (op === "-") add(parent, h("del", null, t));
      else if (op === "~") {
        var alt = h("span", "alt", t);
        alt.title = "canonical: " + diff[i][2];
        add(parent, alt);
      } else add(parent, t);
      last = t;
    }
  }

  // ------------------------------------------------------------------ clusters
  var CLUSTERS = (function () {
    var byKept = new Map();
    DOCS.forEach(function (d, i) {
      if (d.st !== "duplicate" || !d.of) return;
      if (!byKept.has(d.of)) byKept.set(d.of, []);
      byKept.get(d.of).push(i);
    });
    var out = [];
    byKept.forEach(function (members, keptId) {
      members.sort(function (a, b) {
        var sa = DOCS[a].sim || 0, sb = DOCS[b].sim || 0;
        return sb - sa || (DOCS[a].id < DOCS[b].id ? -1 : DOCS[a].id > DOCS[b].id ? 1 : 0);
      });
      out.push({ keptId: keptId, kept: docIndex.has(keptId) ? docIndex.get(keptId) : -1, members: members });
    });
    out.sort(function (a, b) {
      return b.members.length - a.members.length || (a.keptId < b.keptId ? -1 : a.keptId > b.keptId ? 1 : 0);
    });
    return out;
  })();
  var REJECTED = [];
  DOCS.forEach(function (d, i) { if (d.st === "rejected") REJECTED.push(i); });
  var ALL_DOCS = DOCS.map(function (_, i) { return i; });

  // ------------------------------------------------------------------ word diff (Myers)
  function tokenize(t) { return t.match(/\S+\s*|\s+/g) || []; }
  function wordKey(tok) {
    return tok.trim().toLowerCase()
      .replace(/[\u2018\u2019\u201a\u201b\u2032\u0060\u00b4\u02bc]/g, "'")
      .replace(/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g, '"')
      .replace(/[\u2010-\u2015\u2212]/g, "-")
      .replace(/^["'.,;:!?()[\]{}\u2026]+|["'.,;:!?()[\]{}\u2026]+$/g, "") || tok.trim().toLowerCase();
  }
  function paragraphs(t) { return t.match(/[^\n]+\n*|\n+/g) || []; }

  // Edit script between int arrays a and b: 0 = equal, -1 = delete a[x], 1 = insert b[y].
  // Returns null when more than maxD edits are needed (the trace would grow as D^2).
  function myers(a, b, maxD) {
    var n = a.length, m = b.length, max = n + m, off = max + 1;
    var v = new Int32Array(2 * max + 3);
    var trace = [];
    for (var d = 0; d <= max; d++) {
      if (d > maxD) return null;
      trace.push(v.slice(off - d, off + d + 1));
      for (var k = -d; k <= d; k += 2) {
        var x = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
        var y = x - k;
        while (x < n && y < m && a[x] === b[y]) { x++; y++; }
        v[off + k] = x;
        if (x >= n && y >= m) return backtrack(trace, n, m);
      }
    }
    return [];
  }
  function backtrack(trace, n, m) {
    var ops = [], x = n, y = m;
    for (var d = trace.length - 1; d > 0; d--) {
      var t = trace[d], k = x - y;
      var pk = (k === -d || (k !== d && t[k - 1 + d] < t[k + 1 + d])) ? k + 1 : k - 1;
      var px = t[pk + d], py = px - pk;
      while (x > px && y > py) { ops.push(0); x--; y--; }
      if (x === px) { ops.push(1); y--; } else { ops.push(-1); x--; }
    }
    while (x > 0 && y > 0) { ops.push(0); x--; y--; }
    return ops.reverse();
  }

  // Diff two token lists; returns [[op, aText, bText]] runs, or null past the cap.
  function diffTokens(at, bt, keyFn, maxD) {
    var ids = new Map();
    function intern(list) {
      var out = new Int32Array(list.length);
      for (var i = 0; i < list.length; i++) {
        var key = keyFn(list[i]);
        var id = ids.get(key);
        if (id === undefined) { id = ids.size; ids.set(key, id); }
        out[i] = id;
      }
      return out;
    }
    var a = intern(at), b = intern(bt);
    var pre = 0;
    while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
    var suf = 0;
    while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
    var mid = myers(a.subarray(pre, a.length - suf), b.subarray(pre, b.length - suf), maxD);
    if (mid === null) return null;
    var script = [];
    for (var i = 0; i < pre; i++) script.push(0);
    for (i = 0; i < mid.length; i++) script.push(mid[i]);
    for (i = 0; i < suf; i++) script.push(0);
    var runs = [], x = 0, y = 0;
    function push(op, ta, tb) {
      var lastRun = runs[runs.length - 1];
      if (lastRun && lastRun[0] === op) { lastRun[1] += ta; lastRun[2] += tb; } else runs.push([op, ta, tb]);
    }
    for (i = 0; i < script.length; i++) {
      if (script[i] === 0) { push("=", at[x++], bt[y++]); }
      else if (script[i] < 0) { push("-", at[x++], ""); }
      else { push("+", "", bt[y++]); }
    }
    return runs;
  }

  function diffTexts(A, B) {
    var runs = diffTokens(tokenize(A), tokenize(B), wordKey, MAX_D);
    if (runs) return { runs: runs, coarse: false };
    runs = diffTokens(paragraphs(A), paragraphs(B), function (p) { return p.trim(); }, MAX_D);
    return { runs: runs || [["-", A, ""], ["+", "", B]], coarse: true };
  }

  function countWords(t) { var m = t.match(/\S+/g); return m ? m.length : 0; }

  // One pane of a side-by-side diff: unchanged runs plain (long ones folded), changes marked.
  function renderPane(runs, side) {
    var pane = h("div", "pane");
    runs.forEach(function (r, idx) {
      var op = r[0], text = side === "a" ? r[1] : r[2];
      if (!text) return;
      if (op === "=") {
        var toks = tokenize(text);
        var words = countWords(text);
        if (words > FOLD_WORDS) {
          var headN = idx === 0 ? 0 : 40, tailN = idx === runs.length - 1 ? 0 : 40;
          var head = toks.slice(0, headN).join(""), tail = toks.slice(toks.length - tailN).join("");
          var hidden = toks.slice(headN, toks.length - tailN).join("");
          var btn = h("button", "fold", "\u2026 " + plural(countWords(hidden), "unchanged word", "unchanged words") + " \u2026");
          btn.type = "button";
          btn.addEventListener("click", function () { btn.replaceWith(document.createTextNode(hidden)); });
          add(pane, head, btn, tail);
          return;
        }
        add(pane, text);
      } else {
        add(pane, h(op === "+" ? "ins" : "del", null, text));
      }
    });
    return pane;
  }

  function sideBySide(kept, dup) {
    var box = h("div", "sbs-wrap");
    if (!kept || typeof kept.text !== "string" || typeof dup.text !== "string") {
      add(box, h("p", "empty", "The texts of this pair are not embedded in the report."));
      return box;
    }
    var res = diffTexts(kept.text, dup.text);
    var removed = 0, added = 0, shared = 0;
    res.runs.forEach(function (r) {
      if (r[0] === "=") shared += countWords(r[2]);
      else if (r[0] === "-") removed += countWords(r[1]);
      else added += countWords(r[2]);
    });
    var grid = h("div", "sbs");
    var left = h("div"), right = h("div");
    add(left, h("h4", null, "Kept: " + docTitle(kept)), renderPane(res.runs, "a"));
    add(right, h("h4", null, "Duplicate: " + docTitle(dup)), renderPane(res.runs, "b"));
    add(grid, left, right);
    var stats = fmt(shared) + " words shared, " + fmt(removed) + " only in the kept text, " + fmt(added) +
      " only in the duplicate" + (res.coarse ? " (large difference: compared paragraph by paragraph)" : "") +
      (kept.cut || dup.cut ? " \u2014 texts cut in this report (documents.jsonl has them whole)" : "") + ".";
    add(box, grid, h("div", "diff-stats", stats));
    return box;
  }

  // ------------------------------------------------------------------ item renderers
  function renderPassage(p) {
    var card = h("article", "passage");
    card.dataset.passageId = p.id;
    var head = add(h("div", "p-head"), badge(plural(p.n, "source", "sources"), "n"));
    if (p.s.length !== p.n) add(head, h("span", null, plural(p.s.length, "occurrence", "occurrences")));
    add(head, h("span", "pid", p.id));
    add(card, head, h("blockquote", "canonical", p.text));
    if (p.why) add(card, add(h("p", "why"), h("b", null, "Canonical: "), p.why));
    var list = h("div", "sources");
    function renderSources(upto) {
      list.replaceChildren();
      p.s.slice(0, upto).forEach(function (s) { add(list, renderSource(s)); });
      if (p.s.length > upto) {
        var more = h("button", "btn more", "Show all " + fmt(p.s.length) + " sources");
        more.type = "button";
        more.addEventListener("click", function () { renderSources(p.s.length); });
        add(list, more);
      }
    }
    renderSources(MAX_SOURCES);
    return add(card, list);
  }

  function renderSource(s) {
    var d = s.d !== undefined ? DOCS[s.d] : { id: s.doc, src: s.src };
    var row = h("div", "source");
    row.dataset.docId = d.id;
    var meta = add(h("div", "s-meta"), titleNode(d));
    if (s.can) add(meta, badge("canonical", "canon"));
    add(meta, docMeta(d), simNode(s.sim));
    var ctx = h("div", "ctx");
    var span = h("span", "span");
    renderPieces(span, s.diff || []);
    add(ctx, s.pre || "", span, s.post || "");
    return add(row, meta, ctx);
  }

  function renderCluster(c) {
    var box = h("article", "cluster");
    var kept = c.kept >= 0 ? DOCS[c.kept] : { id: c.keptId };
    box.dataset.clusterId = kept.cl || c.keptId;
    var head = h("div", "cl-kept");
    add(head, add(h("div", "m-row"),
      h("span", "c-label", "Kept"),
      badge(plural(c.members.length + 1, "document", "documents"), "n"),
      kept.cl ? h("span", "pid", kept.cl) : null));
    add(head, add(h("div", "s-meta"), titleNode(kept), docMeta(kept)));
    if (kept.kr) add(head, add(h("p", "why"), h("b", null, "Why this one: "), kept.kr));
    add(box, head);
    c.members.forEach(function (i) {
      var d = DOCS[i];
      var row = h("div", "member");
      row.dataset.docId = d.id;
      var btn = h("button", "btn", "Compare side by side");
      btn.type = "button";
      var view = null;
      btn.addEventListener("click", function () {
        if (!view) { view = sideBySide(c.kept >= 0 ? kept : null, d); add(row, view); btn.textContent = "Hide comparison"; return; }
        view.hidden = !view.hidden;
        btn.textContent = view.hidden ? "Compare side by side" : "Hide comparison";
      });
      add(row, add(h("div", "m-row"), badge(d.kind || "duplicate", d.kind || "duplicate"), simNode(d.sim), titleNode(d), docMeta(d), btn));
      add(box, row);
    });
    return box;
  }

  function renderDoc(d) {
    var box = h("article", "doc");
    box.dataset.docId = d.id;
    var row = add(h("div", "s-meta"), badge(d.st === "duplicate" ? "duplicate \u00b7 " + (d.kind || "near") : d.st, d.st), titleNode(d), docMeta(d));
    if (d.st !== "rejected") add(row, h("span", "s-sub", fmt(d.n || 0) + " chars"));
    if (d.np) add(row, h("span", "s-sub", plural(d.np, "passage", "passages")));
    add(box, row);
    if (d.st === "duplicate" && d.of) {
      add(box, add(h("p", "why"), h("b", null, "Duplicate of "), jumpLink(d.of, "clusters", d.of),
        typeof d.sim === "number" ? " (similarity " + d.sim.toFixed(2) + ")" : ""));
    }
    if (d.kr) add(box, add(h("p", "why"), h("b", null, "Kept: "), d.kr));
    if (d.rr) add(box, h("p", "reason", d.rr));
    var body = typeof d.text === "string" ? d.text : d.lead;
    if (body) {
      var t = h("p", "d-text clamp", body);
      add(box, t);
      if (typeof d.text === "string" && d.text.length > 360) {
        var btn = h("button", "btn", "Show full text");
        btn.type = "button";
        btn.addEventListener("click", function () {
          var open = t.classList.toggle("clamp");
          btn.textContent = open ? "Show full text" : "Show less";
        });
        add(box, btn);
      }
    }
    return box;
  }

  // ------------------------------------------------------------------ haystacks (built on first filter)
  function docHay(d) {
    return [d.id, d.src, d.url, d.title, d.site, d.date, d.lang, d.by, d.st, d.kind, d.of, d.cl, d.kr, d.rr,
      typeof d.text === "string" ? d.text : d.lead].filter(Boolean).join("\n").toLowerCase();
  }
  function passageHay(p) {
    var parts = [p.id, p.text, p.why];
    p.s.forEach(function (s) {
      var d = s.d !== undefined ? DOCS[s.d] : { id: s.doc, src: s.src };
      parts.push(d.id, d.src, d.title, d.site, d.url, d.date);
      (s.diff || []).forEach(function (x) { parts.push(x[1]); });
    });
    return parts.filter(Boolean).join("\n").toLowerCase();
  }
  function clusterHay(c) {
    var parts = [c.keptId];
    if (c.kept >= 0) parts.push(docHay(DOCS[c.kept]));
    c.members.forEach(function (i) { parts.push(docHay(DOCS[i])); });
    return parts.join("\n");
  }

  // ------------------------------------------------------------------ lists
  function List(name, items, hayFn, render, opts) {
    this.name = name;
    this.items = items;
    this.hayFn = hayFn;
    this.render = render;
    this.opts = opts || {};
    this.hay = null;
    this.filtered = items;
    this.shown = 0;
    this.dirty = true;
    this.chip = null; // extra facet filter (status or reason)
    this.panel = document.getElementById("panel-" + name);
    this.countEl = document.querySelector("#tab-" + name + " .count");
  }
  List.prototype.apply = function (terms) {
    var self = this;
    if (terms.length && !this.hay) this.hay = this.items.map(function (it) { return self.hayFn(it); });
    var chip = this.chip, facet = this.opts.facet;
    this.filtered = this.items.filter(function (it, i) {
      if (chip && facet(it) !== chip) return false;
      for (var t = 0; t < terms.length; t++) if (self.hay[i].indexOf(terms[t]) < 0) return false;
      return true;
    });
    this.countEl.textContent = this.filtered.length === this.items.length
      ? fmt(this.items.length) : fmt(this.filtered.length) + "/" + fmt(this.items.length);
    this.dirty = true;
  };
  List.prototype.draw = function () {
    var self = this;
    this.dirty = false;
    this.panel.replaceChildren();
    if (this.opts.chips) add(this.panel, this.chips());
    this.status = h("p", "status-line");
    add(this.panel, this.status);
    if (this.opts.legend) add(this.panel, this.opts.legend());
    this.box = h("div", "items");
    this.more = h("button", "btn more", "Show more");
    this.more.type = "button";
    this.more.addEventListener("click", function () { self.page(); });
    add(this.panel, this.box, this.more);
    this.shown = 0;
    this.page();
  };
  List.prototype.page = function () {
    var end = Math.min(this.filtered.length, this.shown + PAGE);
    var frag = document.createDocumentFragment();
    for (var i = this.shown; i < end; i++) frag.appendChild(this.render(this.filtered[i]));
    this.box.appendChild(frag);
    this.shown = end;
    var n = this.filtered.length;
    if (!this.items.length) this.status.textContent = this.opts.empty;
    else if (!n) this.status.textContent = "Nothing matches the filter.";
    else this.status.textContent = "Showing " + fmt(this.shown) + " of " + plural(n, this.opts.one, this.opts.many) +
      (n < this.items.length ? " matching (" + fmt(this.items.length) + " in all)" : "") + ".";
    this.more.hidden = this.shown >= n;
    this.more.textContent = "Show " + fmt(Math.min(PAGE, n - this.shown)) + " more";
  };
  List.prototype.chips = function () {
    var self = this, counts = new Map();
    this.items.forEach(function (it) { var f = self.opts.facet(it); counts.set(f, (counts.get(f) || 0) + 1); });
    var wrap = h("div", "chips");
    Array.from(counts.keys()).sort(function (a, b) { return counts.get(b) - counts.get(a) || (a < b ? -1 : 1); })
      .forEach(function (f) {
        var c = h("button", "chip", f + " \u00b7 " + fmt(counts.get(f)));
        c.type = "button";
        c.setAttribute("aria-pressed", String(self.chip === f));
        c.addEventListener("click", function () {
          self.chip = self.chip === f ? null : f;
          self.apply(currentTerms());
          self.draw();
        });
        add(wrap, c);
      });
    return wrap;
  };

  function legend() {
    var p = h("p", "legend");
    add(p, "Most-reported first. Each source shows the passage in its context; ",
      h("ins", null, "added"), " words are this outlet's, ", h("del", null, "struck"),
      " words are in the canonical text but not in this outlet's, ", h("span", "alt", "dotted"),
      " words are spelled or punctuated differently (hover to compare).");
    return p;
  }
  function reasonCode(d) { return String(d.rr || "unknown").split(" (")[0].split(":")[0]; }

  var LISTS = {
    passages: new List("passages", PASSAGES, passageHay, renderPassage,
      { one: "passage", many: "passages", empty: "No passage was re-reported by two or more documents.", legend: legend }),
    clusters: new List("clusters", CLUSTERS, clusterHay, renderCluster,
      { one: "cluster", many: "clusters", empty: "No duplicate documents were found." }),
    documents: new List("documents", ALL_DOCS, function (i) { return docHay(DOCS[i]); },
      function (i) { return renderDoc(DOCS[i]); },
      { one: "document", many: "documents", empty: "No documents.", chips: true, facet: function (i) { return DOCS[i].st; } }),
    rejected: new List("rejected", REJECTED, function (i) { return docHay(DOCS[i]); },
      function (i) { return renderDoc(DOCS[i]); },
      { one: "rejected record", many: "rejected records", empty: "No record was rejected.", chips: true,
        facet: function (i) { return reasonCode(DOCS[i]); } }),
  };

  // ------------------------------------------------------------------ tabs, filter
  var input = document.getElementById("filter");
  var active = "passages";
  function currentTerms() { return input.value.toLowerCase().split(/\s+/).filter(Boolean); }
  function show(tab) {
    if (!LISTS[tab]) tab = "passages";
    active = tab;
    document.querySelectorAll(".tabs button").forEach(function (b) {
      b.setAttribute("aria-selected", String(b.dataset.tab === tab));
    });
    Object.keys(LISTS).forEach(function (k) { LISTS[k].panel.hidden = k !== tab; });
    if (LISTS[tab].dirty) LISTS[tab].draw();
  }
  function applyAll() {
    var terms = currentTerms();
    Object.keys(LISTS).forEach(function (k) { LISTS[k].apply(terms); });
    LISTS[active].draw();
  }
  function jump(tab, query) {
    input.value = query;
    applyAll();
    show(tab);
    history.replaceState(null, "", "#" + tab);
    document.getElementById("toolbar").scrollIntoView({ block: "start" });
  }
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(applyAll, 120);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { input.value = ""; applyAll(); }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== input) { ev.preventDefault(); input.focus(); }
  });
  document.querySelectorAll(".tabs button").forEach(function (b) {
    b.addEventListener("click", function () {
      show(b.dataset.tab);
      history.replaceState(null, "", "#" + b.dataset.tab);
    });
  });
  Object.keys(LISTS).forEach(function (k) { LISTS[k].apply([]); });
  show((location.hash || "").slice(1));
})();
