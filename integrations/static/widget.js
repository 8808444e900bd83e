/*
 * metricqa web widget: one file, embed with
 *   <script src="https://HOST/static/widget.js" data-api="https://HOST" data-key="KEY" defer></script>
 * Optional: data-lang="zh|en" (labels; default from the browser), data-title="...", data-open="true",
 * data-css="URL" (default: widget.css next to this file).
 * It injects a floating chat panel into a shadow root (the host page's CSS cannot reach it). Every piece of
 * text from the user or the server goes through createTextNode, never through the HTML parser.
 * window.MetricQA exposes open(), close(), ask(question), sessionId(), newSession(), setKey(key).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.MetricQA) {
    return;
  }
  var scriptUrl = new URL(script.src, window.location.href);
  var cfg = {
    api: (script.getAttribute("data-api") || scriptUrl.origin).replace(/\/+$/, ""),
    key: script.getAttribute("data-key") || "",
    lang: script.getAttribute("data-lang") || ((navigator.language || "").toLowerCase().indexOf("zh") === 0 ? "zh" : "en"),
    title: script.getAttribute("data-title"),
    open: script.getAttribute("data-open") === "true",
    css: script.getAttribute("data-css") || new URL("widget.css", scriptUrl).href
  };
  var MAX_ROWS = 50;
  var LABELS = {
    en: {
      title: "Ask about metrics", launcher: "Ask metrics", placeholder: "e.g. revenue by region last month",
      send: "Ask", close: "Close", reset: "New conversation", thinking: "Thinking…", you: "You",
      chartAlt: "Chart for: ", sources: "Sources", lineage: "Lineage", owner: "Owner", definition: "Definition",
      formula: "Formula", version: "v", asOf: "Data as of ", assumptions: "Assumed: ", pick: "Did you mean:",
      status: { approved: "approved", draft: "draft", deprecated: "deprecated" },
      tryThese: "Try:", moreRows: " more rows not shown", csv: "Download CSV", network: "Cannot reach the assistant: ", sql: "SQL",
      chartFailed: "The chart could not be loaded.", welcome: "Ask a question about a metric, in English or Chinese."
    },
    zh: {
      title: "指标问答", launcher: "问指标", placeholder: "例如:上月各大区销售额",
      send: "提问", close: "关闭", reset: "新对话", thinking: "思考中…", you: "我",
      chartAlt: "图表:", sources: "数据来源", lineage: "血缘", owner: "负责人", definition: "口径",
      formula: "公式", version: "版本 ", asOf: "数据截至 ", assumptions: "假设:", pick: "您是指:",
      status: { approved: "已批准", draft: "草稿", deprecated: "已停用" },
      tryThese: "可以试试:", moreRows: " 行未显示", csv: "下载 CSV", network: "无法连接助手:", sql: "SQL",
      chartFailed: "图表加载失败。", welcome: "用中文或英文提问任何指标问题。"
    }
  };
  var T = LABELS[cfg.lang] || LABELS.en;
  var storageKey = "metricqa.session:" + cfg.api;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (name) {
      if (name === "className" || name === "type" || name === "title" || name === "placeholder" || name === "alt") {
        node[name] = props[name];
      } else {
        node.setAttribute(name, props[name]);
      }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === "") {
        return;
      }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function readSession() {
    try {
      return window.sessionStorage.getItem(storageKey);
    } catch (e) {
      return null;
    }
  }

  function writeSession(value) {
    try {
      if (value) {
        window.sessionStorage.setItem(storageKey, value);
      } else {
        window.sessionStorage.removeItem(storageKey);
      }
    } catch (e) { /* storage may be disabled */ }
  }

  var state = { session: readSession(), busy: false };

  // ---- the frame --------------------------------------------------------------------------------------
  var host = el("div", { id: "metricqa-widget", "data-session": state.session || "" });
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  shadow.appendChild(el("link", { rel: "stylesheet", href: cfg.css }));
  var launcher = el("button", { className: "mqa-launcher", type: "button", "aria-expanded": "false" }, [T.launcher]);
  var log = el("div", { className: "mqa-log", role: "log", "aria-live": "polite" });
  var input = el("textarea", { className: "mqa-input", rows: "2", placeholder: T.placeholder, "aria-label": T.placeholder });
  var sendButton = el("button", { className: "mqa-send", type: "submit" }, [T.send]);
  var form = el("form", { className: "mqa-form" }, [input, sendButton]);
  var resetButton = el("button", { className: "mqa-reset", type: "button" }, [T.reset]);
  var closeButton = el("button", { className: "mqa-close", type: "button", "aria-label": T.close, title: T.close }, ["×"]);
  var panel = el("section", { className: "mqa-panel", role: "dialog", "aria-label": cfg.title || T.title, hidden: "" }, [
    el("header", { className: "mqa-header" }, [el("span", { className: "mqa-title" }, [cfg.title || T.title]), resetButton, closeButton]),
    log,
    form
  ]);
  shadow.appendChild(el("div", { className: "mqa-root", lang: cfg.lang === "zh" ? "zh-CN" : "en" }, [panel, launcher]));

  function setOpen(open) {
    if (open) {
      panel.removeAttribute("hidden");
      input.focus();
    } else {
      panel.setAttribute("hidden", "");
    }
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function setSession(value) {
    state.session = value || null;
    host.setAttribute("data-session", state.session || "");
    writeSession(state.session);
  }

  function setBusy(busy) {
    state.busy = busy;
    sendButton.disabled = busy;
    host.setAttribute("data-busy", busy ? "true" : "false");
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function bubble(kind, children) {
    var node = el("div", { className: "mqa-msg mqa-" + kind }, children);
    log.appendChild(node);
    scrollDown();
    return node;
  }

  // ---- rendering an answer ----------------------------------------------------------------------------
  function formatCell(value) {
    if (typeof value === "number") {
      return value.toLocaleString(cfg.lang === "zh" ? "zh-CN" : "en-US", { maximumFractionDigits: 4 });
    }
    return value === null || value === undefined ? "" : String(value);
  }

  function renderTable(columns, rows) {
    var head = el("tr", {}, columns.map(function (c) { return el("th", { scope: "col" }, [String(c)]); }));
    var body = rows.slice(0, MAX_ROWS).map(function (row) {
      return el("tr", {}, row.map(function (cell) {
        return el("td", { className: typeof cell === "number" ? "mqa-num" : "" }, [formatCell(cell)]);
      }));
    });
    var table = el("table", { className: "mqa-table" }, [el("thead", {}, [head]), el("tbody", {}, body)]);
    var extra = rows.length > MAX_ROWS ? el("p", { className: "mqa-note" }, [String(rows.length - MAX_ROWS) + T.moreRows]) : null;
    return el("div", { className: "mqa-table-wrap" }, [table, extra]);
  }

  function field(label, value) {
    return value ? [el("dt", {}, [label]), el("dd", {}, [value])] : [];
  }

  function renderCitation(c) {
    var summary = el("summary", {}, [
      (c.name || c.metric) + " · " + T.version + c.version + (c.status ? " · " + (T.status[c.status] || c.status) : "")
    ]);
    var rows = [].concat(
      field(T.definition, c.definition),
      field(T.formula, c.formula),
      field(T.owner, [c.owner, c.department].filter(Boolean).join(" · ")),
      field(T.sources, (c.sources || []).join(", ")),
      field(T.lineage, (c.lineage || []).join(" → "))
    );
    return el("details", { className: "mqa-cite", "data-metric": c.metric }, [summary, el("dl", {}, rows)]);
  }

  function renderChoices(label, choices, className) {
    if (!choices || !choices.length) {
      return null;
    }
    var buttons = choices.map(function (choice) {
      var button = el("button", { className: className, type: "button" }, [choice]);
      button.addEventListener("click", function () { ask(choice); });
      return button;
    });
    return el("div", { className: "mqa-options" }, [el("span", { className: "mqa-note" }, [label])].concat(buttons));
  }

  function renderChart(chart, question) {
    // the SVG where the API has one (crisp at the widget's width), else the PNG (2x device pixels)
    var sources = chart ? [chart.svg_url, chart.url].filter(Boolean) : [];
    if (!sources.length) {
      return null;
    }
    var img = el("img", { className: "mqa-chart", alt: T.chartAlt + question });
    var figure = el("figure", { className: "mqa-figure" }, [img]);
    function load(i) {
      fetch(sources[i], { headers: authHeaders() })
        .then(function (resp) {
          if (!resp.ok) { throw new Error(String(resp.status)); }
          return resp.blob();
        })
        .then(function (blob) {
          img.addEventListener("load", scrollDown);
          img.src = URL.createObjectURL(blob);
        })
        .catch(function () {
          if (i + 1 < sources.length) { load(i + 1); return; }
          figure.replaceChildren(el("p", { className: "mqa-note" }, [T.chartFailed]));
        });
    }
    load(0);
    return figure;
  }

  // a list answer is a table: its rows as CSV, run again by the server for this caller (POST /api/answer.csv)
  function renderCsvButton(plan, language) {
    var button = el("button", { className: "mqa-csv", type: "button" }, [T.csv]);
    button.addEventListener("click", function () {
      var headers = authHeaders();
      headers["Content-Type"] = "application/json";
      fetch(cfg.api + "/api/answer.csv", { method: "POST", headers: headers, body: JSON.stringify({ plan: plan, language: language }) })
        .then(function (r) { return r.ok ? r.blob() : Promise.reject(r.status); })
        .then(function (blob) {
          var link = el("a", { href: URL.createObjectURL(blob), download: "answer.csv" }, []);
          document.body.appendChild(link);
          link.click();
          link.remove();
        })
        .catch(function () { button.disabled = true; });
    });
    return button;
  }

  function renderAnswer(node, data) {
    var parts = [el("p", { className: "mqa-text" }, [data.answer || data.reason || ""])];
    if (data.status === "refused" && data.reason && data.reason !== data.answer) {
      parts.push(el("p", { className: "mqa-reason" }, [data.reason]));
    }
    if (data.assumptions && data.assumptions.length) {
      parts.push(el("p", { className: "mqa-note mqa-assumptions" }, [T.assumptions + data.assumptions.join("; ")]));
    }
    parts.push(renderChoices(T.pick, data.status === "clarify" ? data.options : [], "mqa-option"));
    parts.push(renderChoices(T.tryThese, data.status === "refused" ? data.suggestions : [], "mqa-suggestion"));
    parts.push(renderChart(data.chart, data.question || ""));
    if (data.columns && data.columns.length && data.rows && data.rows.length) {
      var table = data.table && data.table.rows && data.table.rows.length ? data.table : null;
      // headers and cells for people when the answer has them, else the raw columns
      parts.push(table ? renderTable(table.headers, table.rows) : renderTable(data.columns, data.rows));
      if (data.plan && data.plan.intent === "list") {
        parts.push(renderCsvButton(data.plan, data.language || cfg.lang));
      }
    }
    (data.citations || []).forEach(function (c) { parts.push(renderCitation(c)); });
    if (data.sql) {
      parts.push(el("details", { className: "mqa-sql" }, [el("summary", {}, [T.sql]), el("pre", {}, [el("code", {}, [data.sql])])]));
    }
    if (data.data_as_of) {
      parts.push(el("p", { className: "mqa-note mqa-asof" }, [T.asOf + data.data_as_of]));
    }
    node.className = "mqa-msg mqa-bot mqa-" + (data.status || "answered");
    node.setAttribute("data-status", data.status || "");
    node.replaceChildren.apply(node, parts.filter(Boolean));
    scrollDown();
  }

  function renderError(node, message) {
    node.className = "mqa-msg mqa-bot mqa-error";
    node.setAttribute("data-status", "error");
    node.replaceChildren(el("p", { className: "mqa-text" }, [message]));
  }

  // ---- talking to the API -----------------------------------------------------------------------------
  function authHeaders() {
    var headers = {};
    if (cfg.key) {
      headers["X-API-Key"] = cfg.key;
    }
    return headers;
  }

  function ask(question) {
    question = String(question || "").trim();
    if (!question || state.busy) {
      return Promise.resolve(null);
    }
    setOpen(true);
    setBusy(true);
    bubble("user", [el("p", { className: "mqa-text" }, [question])]);
    var pending = bubble("bot mqa-pending", [el("p", { className: "mqa-text" }, [T.thinking])]);
    var body = { question: question };
    if (state.session) {
      body.session_id = state.session;
    }
    var headers = authHeaders();
    headers["Content-Type"] = "application/json";
    headers["Accept-Language"] = cfg.lang;
    return fetch(cfg.api + "/api/ask", { method: "POST", headers: headers, body: JSON.stringify(body) })
      .then(function (resp) {
        return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) {
          renderError(pending, result.data.error || String(result.data.status));
          return result.data;
        }
        setSession(result.data.session_id);
        renderAnswer(pending, result.data);
        return result.data;
      })
      .catch(function (err) {
        renderError(pending, T.network + err.message);
        return null;
      })
      .then(function (data) {
        setBusy(false);
        return data;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  launcher.addEventListener("click", function () { setOpen(panel.hasAttribute("hidden")); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  resetButton.addEventListener("click", function () {
    setSession(null);
    log.replaceChildren(el("p", { className: "mqa-note" }, [T.welcome]));
  });

  log.appendChild(el("p", { className: "mqa-note" }, [T.welcome]));
  function mount() {
    document.body.appendChild(host);
    if (cfg.open) {
      setOpen(true);
    }
  }
  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }

  window.MetricQA = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    ask: ask,
    sessionId: function () { return state.session; },
    newSession: function () { setSession(null); },
    setKey: function (key) { cfg.key = String(key || ""); }
  };
})();
