// Step editor: draws a flow's step document as connected cards between its trigger and its
// target write, and edits it in place. Mouse: drag cards (SortableJS) within and between
// lists, drag kinds in from the palette. Keyboard: every card has Move up / Move down /
// Remove buttons, Alt+Arrow keys on a focused card, a "Move to" list in its settings and an
// "Add a step" control under every list. The server checks and saves the whole document
// (every mistake named by step) and test-runs it on a sample; see integrations/views/steps.py.
(function () {
  "use strict";

  var config, doc, dirty = false, saving = false;
  var problemsByStep = {}, generalProblems = [], decisions = {}, open = {};
  var canvas, live, sortables = [];

  var OPS = [
    ["eq", "equals"], ["ne", "does not equal"], ["in", "is one of"],
    ["not_in", "is not one of"], ["gt", "is more than"], ["gte", "is at least"],
    ["lt", "is less than"], ["lte", "is at most"], ["contains", "contains"],
    ["starts_with", "starts with"], ["exists", "is present"], ["empty", "is empty"]
  ];
  var OP_NAMES = {};
  OPS.forEach(function (op) { OP_NAMES[op[0]] = op[1]; });

  var KINDS = {
    filter: {label: "Filter", help: "Skip records that match a condition (or keep only those that do), with the reason logged."},
    route: {label: "Route", help: "Send records down different steps by condition: B2B or B2C, channel, warehouse, order value."},
    transform: {label: "Transform", help: "Map the record with a mapping (this flow's, or another, at a chosen version)."},
    enrich: {label: "Enrich", help: "Read a related record from either system, for the steps after it."},
    validate: {label: "Validate", help: "Business rules with messages: a record that breaks one becomes a dead letter saying so."},
    check: {label: "Check", help: "A data-quality check: address cleansing, anomaly hold or duplicate check."},
    follow_up: {label: "Follow-up", help: "After the write: a status or reference written back."}
  };
  var KIND_ORDER = ["filter", "route", "transform", "enrich", "validate", "check", "follow_up"];

  // --- small helpers ----------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "hidden") node.hidden = true;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clone(value) { return JSON.parse(JSON.stringify(value)); }
  function uid() { return "s" + Math.random().toString(36).slice(2, 9); }

  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 30);
  }

  function changed() {
    dirty = true;
    document.getElementById("steps-dirty").hidden = false;
  }

  function stepName(step) {
    return step.name || (KINDS[step.kind] ? KINDS[step.kind].label : step.kind) + " " + step.id;
  }

  // --- the document's lists ---------------------------------------------------------------
  // A list is addressed by a path: "steps", "steps.2.branches.0.steps", "steps.2.otherwise".
  function listAt(path) {
    var node = doc;
    path.split(".").forEach(function (part) { node = node[/^\d+$/.test(part) ? +part : part]; });
    return node;
  }

  function allSteps() {
    var out = [];
    function visit(items, path) {
      items.forEach(function (step, i) {
        out.push({step: step, path: path, index: i});
        (step.branches || []).forEach(function (branch, b) {
          if (Array.isArray(branch.steps)) visit(branch.steps, path + "." + i + ".branches." + b + ".steps");
        });
        if (Array.isArray(step.otherwise)) visit(step.otherwise, path + "." + i + ".otherwise");
      });
    }
    visit(doc.steps || [], "steps");
    return out;
  }

  function allLists() {
    var lists = [{path: "steps", label: "Main flow"}];
    allSteps().forEach(function (found) {
      var step = found.step;
      if (step.kind !== "route") return;
      var base = found.path + "." + found.index;
      (step.branches || []).forEach(function (branch, b) {
        lists.push({path: base + ".branches." + b + ".steps",
                    label: stepName(step) + " › " + (branch.name || "branch " + (b + 1))});
      });
      lists.push({path: base + ".otherwise", label: stepName(step) + " › Otherwise"});
    });
    return lists;
  }

  function find(id) {
    var hit = null;
    allSteps().forEach(function (found) { if (found.step.id === id) hit = found; });
    return hit;
  }

  function newId(kind) {
    var taken = {};
    allSteps().forEach(function (found) { taken[found.step.id] = true; });
    var base = kind.replace("_", "-"), n = 1;
    while (taken[base + "-" + n]) n += 1;
    return base + "-" + n;
  }

  function newStep(kind) {
    var step = {id: newId(kind), kind: kind};
    var source = config.systems.source;
    if (kind === "filter") {
      step.name = "Filter"; step.skip = {from: "", eq: ""}; step.reason = "";
    } else if (kind === "route") {
      step.name = "Route";
      step.branches = [{name: "Branch 1", when: {from: "", eq: ""}, steps: []}];
      step.otherwise = [];
    } else if (kind === "transform") {
      step.name = "Map fields";
    } else if (kind === "enrich") {
      step.name = "Look up"; step.system = "source";
      step.entity = source.entities[0] || ""; step.id_from = ""; step.as = "related";
    } else if (kind === "validate") {
      step.name = "Business rules";
      step.rules = [{require: {from: "", exists: true}, message: ""}];
    } else if (kind === "check") {
      var check = Object.keys(config.checks).filter(function (c) {
        return config.checks[c].applies;
      })[0] || "address";
      step.check = check; step.name = config.checks[check].name;
    } else if (kind === "follow_up") {
      step.name = "Write back"; step.system = source.key; step.action = ""; step.args = {};
    }
    return step;
  }

  // Follow-ups run after the write and must come last: a new step goes before them.
  function insertionIndex(list, kind) {
    if (kind === "follow_up") return list.length;
    for (var i = 0; i < list.length; i += 1) if (list[i].kind === "follow_up") return i;
    return list.length;
  }

  function addStep(path, kind, index) {
    var list = listAt(path);
    var step = newStep(kind);
    list.splice(index === undefined ? insertionIndex(list, kind) : index, 0, step);
    open[step.id] = true;
    changed();
    render(step.id, ".step-title");
    announce("Added " + KINDS[kind].label + " step “" + stepName(step) + "”.");
  }

  function moveStep(id, toPath, toIndex) {
    var found = find(id);
    if (!found) return;
    var from = listAt(found.path);
    var step = from.splice(found.index, 1)[0];
    // The target path may have shifted when the step left a list before it.
    var to = safeList(toPath, found, step);
    if (!to) { from.splice(found.index, 0, step); return; }
    to.splice(Math.max(0, Math.min(toIndex, to.length)), 0, step);
    changed();
  }

  function safeList(path, found, step) {
    // A route cannot be moved into one of its own branches.
    var own = found.path + "." + found.index + ".";
    if (step.kind === "route" && (path + ".").indexOf(own) === 0) return null;
    var parts = path.split("."), fromParts = found.path.split(".");
    // Paths through the list the step left, past its old place, shift down by one.
    if (path.indexOf(found.path + ".") === 0) {
      var at = fromParts.length;
      if (+parts[at] > found.index) parts[at] = String(+parts[at] - 1);
    }
    try { return listAt(parts.join(".")); } catch (e) { return null; }
  }

  function removeStep(id) {
    var found = find(id);
    if (!found) return;
    var list = listAt(found.path);
    list.splice(found.index, 1);
    changed();
    var next = list[found.index] || list[found.index - 1];
    render(next ? next.id : null, ".step-title");
    announce("Removed “" + stepName(found.step) + "”.");
  }

  // --- conditions -------------------------------------------------------------------------
  function valueText(value) {
    if (typeof value === "string") {
      return /^(-?\d+(\.\d+)?|true|false|null)$/.test(value) || value.charAt(0) === "\""
        ? JSON.stringify(value) : value;
    }
    return JSON.stringify(value);
  }

  function parseValue(text) {
    var t = text.trim();
    if (/^-?\d+(\.\d+)?$/.test(t) || t === "true" || t === "false" || t === "null" ||
        t.charAt(0) === "\"") {
      try { return JSON.parse(t); } catch (e) { return text; }
    }
    return text;
  }

  function comparisonParts(cond) {
    if (!cond || typeof cond !== "object" || Array.isArray(cond)) return null;
    var keys = Object.keys(cond).filter(function (k) { return k !== "from"; });
    if (!("from" in cond) || keys.length !== 1 || !OP_NAMES[keys[0]]) return null;
    if (typeof cond.from !== "string") return null;
    return {from: cond.from, op: keys[0], value: cond[keys[0]]};
  }

  // The rows a condition shows as pickers, or null when only JSON can show it.
  function conditionRows(cond) {
    var single = comparisonParts(cond);
    if (single) return {join: "all", rows: [single]};
    var join = cond && ("all" in cond ? "all" : "any" in cond ? "any" : null);
    if (!join || Object.keys(cond).length !== 1 || !Array.isArray(cond[join])) return null;
    var rows = cond[join].map(comparisonParts);
    if (!rows.length || rows.some(function (r) { return r === null; })) return null;
    return {join: join, rows: rows};
  }

  function rowsCondition(join, rows) {
    var items = rows.map(function (r) {
      var c = {from: r.from}; c[r.op] = r.value; return c;
    });
    if (items.length === 1) return items[0];
    var out = {}; out[join] = items; return out;
  }

  function conditionText(cond) {
    var single = comparisonParts(cond);
    if (single) {
      if (single.op === "exists") return single.from + (single.value ? " is present" : " is missing");
      if (single.op === "empty") return single.from + (single.value ? " is empty" : " is not empty");
      var shown = Array.isArray(single.value) ? single.value.map(valueText).join(", ")
        : valueText(single.value);
      return (single.from || "?") + " " + OP_NAMES[single.op] + " " + shown;
    }
    if (cond && Array.isArray(cond.all)) return cond.all.map(conditionText).join(" and ");
    if (cond && Array.isArray(cond.any)) return cond.any.map(conditionText).join(" or ");
    if (cond && cond.not) return "not (" + conditionText(cond.not) + ")";
    if (cond && typeof cond.expr === "string") return cond.expr;
    return JSON.stringify(cond);
  }

  function operandInput(row, onChange, label) {
    if (row.op === "exists" || row.op === "empty") {
      var select = el("select", {"aria-label": label, "class": "cond-value"}, [
        el("option", {value: "true", text: "yes"}), el("option", {value: "false", text: "no"})]);
      select.value = row.value === false ? "false" : "true";
      select.addEventListener("change", function () { onChange(select.value === "true"); });
      return select;
    }
    var listed = row.op === "in" || row.op === "not_in";
    var text = listed ? (Array.isArray(row.value) ? row.value.map(valueText).join(", ") : "")
      : (row.value === undefined ? "" : valueText(row.value));
    var input = el("input", {type: "text", value: text, "aria-label": label, "class": "cond-value",
                             placeholder: listed ? "a, b, c" : "value"});
    input.addEventListener("input", function () {
      onChange(listed ? input.value.split(",").map(function (p) { return p.trim(); })
        .filter(function (p) { return p !== ""; }).map(parseValue) : parseValue(input.value));
    });
    return input;
  }

  // A condition editor: field pickers, operator and value per comparison, joined by all/any;
  // or the condition as JSON when it is more than that (not, expr, nesting).
  function conditionEditor(cond, fieldsList, label, onChange) {
    var box = el("div", {"class": "condition", role: "group", "aria-label": label});
    var shape = conditionRows(cond);
    var asJson = shape === null;

    function emit(next) { cond = next; onChange(next); }

    function draw() {
      box.textContent = "";
      if (asJson) {
        var area = el("textarea", {rows: 4, "class": "json", "aria-label": label + " (JSON)"});
        area.value = JSON.stringify(cond, null, 2);
        var error = el("p", {"class": "bad small", hidden: true});
        area.addEventListener("input", function () {
          try { var parsed = JSON.parse(area.value); error.hidden = true; emit(parsed); } catch (e) {
            error.textContent = "Not valid JSON yet: " + e.message; error.hidden = false;
          }
        });
        box.appendChild(area); box.appendChild(error);
        if (conditionRows(cond)) {
          box.appendChild(el("button", {type: "button", "class": "small secondary",
                                        "data-cond": "pickers", text: "Use field pickers"}));
        }
        return;
      }
      shape = conditionRows(cond) || shape;
      if (shape.rows.length > 1) {
        var join = el("select", {"aria-label": label + ": match", "class": "cond-join"}, [
          el("option", {value: "all", text: "all of these hold"}),
          el("option", {value: "any", text: "any of these holds"})]);
        join.value = shape.join;
        join.addEventListener("change", function () {
          shape.join = join.value; emit(rowsCondition(shape.join, shape.rows));
        });
        box.appendChild(el("label", {"class": "cond-match"}, ["Match when ", join]));
      }
      shape.rows.forEach(function (row, i) {
        var n = shape.rows.length > 1 ? " " + (i + 1) : "";
        var field = el("input", {type: "text", value: row.from, list: fieldsList,
                                 "class": "cond-field", "aria-label": label + n + ": field",
                                 placeholder: "field, e.g. channel_id"});
        field.addEventListener("input", function () {
          row.from = field.value.trim(); emit(rowsCondition(shape.join, shape.rows));
        });
        var op = el("select", {"class": "cond-op", "aria-label": label + n + ": comparison"},
                    OPS.map(function (o) { return el("option", {value: o[0], text: o[1]}); }));
        op.value = row.op;
        var holder = el("span");
        function operand() {
          holder.textContent = "";
          holder.appendChild(operandInput(row, function (value) {
            row.value = value; emit(rowsCondition(shape.join, shape.rows));
          }, label + n + ": value"));
        }
        op.addEventListener("change", function () {
          row.op = op.value;
          if (row.op === "exists" || row.op === "empty") row.value = true;
          else if (row.op === "in" || row.op === "not_in") {
            row.value = Array.isArray(row.value) ? row.value
              : (row.value === undefined || row.value === "" || typeof row.value === "boolean")
                ? [] : [row.value];
          } else if (Array.isArray(row.value) || typeof row.value === "boolean") row.value = "";
          operand(); emit(rowsCondition(shape.join, shape.rows));
        });
        operand();
        var remove = shape.rows.length > 1 ? el("button", {
          type: "button", "class": "small secondary", "data-cond": "remove", "data-row": i,
          "aria-label": "Remove comparison" + n, text: "✕"}) : null;
        box.appendChild(el("div", {"class": "cond-row"}, [field, op, holder, remove]));
      });
      box.appendChild(el("div", {"class": "cond-tools"}, [
        el("button", {type: "button", "class": "small secondary", "data-cond": "add",
                      text: "+ Add a comparison"}),
        el("button", {type: "button", "class": "small secondary", "data-cond": "json",
                      text: "Edit as JSON"})]));
    }

    box.addEventListener("click", function (event) {
      var button = event.target.closest("[data-cond]");
      if (!button || !box.contains(button)) return;
      var what = button.getAttribute("data-cond");
      if (what === "add") {
        shape.rows.push({from: "", op: "eq", value: ""});
        emit(rowsCondition(shape.join, shape.rows));
      } else if (what === "remove") {
        shape.rows.splice(+button.getAttribute("data-row"), 1);
        emit(rowsCondition(shape.join, shape.rows));
      } else if (what === "json") {
        asJson = true;
      } else if (what === "pickers") {
        asJson = false; shape = conditionRows(cond);
      }
      draw();
      var focus = box.querySelector(what === "add" ? ".cond-row:last-of-type .cond-field"
        : "input, textarea, select");
      if (focus) focus.focus();
    });
    draw();
    return box;
  }

  // Conditions before the first transform read the source record (with what enrich steps
  // added); after it, the target record.
  function afterTransform(path, index) {
    var list = listAt(path);
    for (var i = 0; i < index; i += 1) if (mapsAlways(list[i])) return true;
    var m = /^(.*)\.(\d+)\.(branches\.\d+\.steps|otherwise)$/.exec(path);
    return m ? afterTransform(m[1], +m[2]) : false;
  }

  function mapsAlways(step) {
    if (step.kind === "transform") return true;
    if (step.kind !== "route") return false;
    var lists = (step.branches || []).map(function (b) { return b.steps || []; });
    lists.push(step.otherwise || []);
    return lists.every(function (l) { return l.some(mapsAlways); });
  }

  function fieldsFor(path, index) {
    return afterTransform(path, index) ? "steps-target-fields" : "steps-source-fields";
  }

  // --- a step's settings ------------------------------------------------------------------
  function field(labelText, input, help) {
    var id = "f" + uid();
    var control = input.matches("input, select, textarea") ? input
      : input.querySelector("input, select, textarea");
    if (control) control.id = id;
    return el("div", {"class": "setting"}, [
      el("label", {"for": id, text: labelText}), input,
      help ? el("p", {"class": "muted help", text: help}) : null]);
  }

  function textInput(step, key, opts) {
    var input = el("input", {type: opts && opts.type || "text", value: step[key] === undefined ? "" : step[key],
                             list: opts && opts.list, placeholder: opts && opts.placeholder});
    input.addEventListener("input", function () {
      var value = input.value;
      if (opts && opts.type === "number") value = value === "" ? undefined : +value;
      if (value === "" && opts && opts.optional) value = undefined;
      if (value === undefined) delete step[key]; else step[key] = value;
      changed(); refreshSummary(step);
    });
    return input;
  }

  function selectInput(step, key, choices, onChange) {
    var select = el("select", {}, choices.map(function (c) {
      return el("option", {value: c[0], text: c[1]});
    }));
    select.value = step[key] === undefined ? "" : String(step[key]);
    select.addEventListener("change", function () {
      if (select.value === "") delete step[key]; else step[key] = select.value;
      if (onChange) onChange(select.value);
      changed(); refreshSummary(step);
    });
    return select;
  }

  function jsonInput(step, key, rows) {
    var area = el("textarea", {rows: rows || 3, "class": "json"});
    area.value = JSON.stringify(step[key] === undefined ? {} : step[key], null, 2);
    var error = el("p", {"class": "bad small", hidden: true});
    area.addEventListener("input", function () {
      try { step[key] = JSON.parse(area.value); error.hidden = true; changed(); } catch (e) {
        error.textContent = "Not valid JSON yet: " + e.message; error.hidden = false;
      }
    });
    return el("div", {}, [area, error]);
  }

  function settings(found) {
    var step = found.step, path = found.path, index = found.index;
    var box = el("div", {"class": "step-config", id: "config-" + step.id});
    var fieldsList = fieldsFor(path, index);
    box.appendChild(field("Name", textInput(step, "name", {optional: true})));
    var kind = step.kind;
    if (kind === "filter") {
      var mode = "skip" in step ? "skip" : "keep";
      var modeSelect = el("select", {}, [
        el("option", {value: "skip", text: "Skip records that match"}),
        el("option", {value: "keep", text: "Keep only records that match"})]);
      modeSelect.value = mode;
      modeSelect.addEventListener("change", function () {
        var cond = step[mode]; delete step[mode]; mode = modeSelect.value; step[mode] = cond;
        changed(); refreshSummary(step);
      });
      box.appendChild(field("This filter", modeSelect));
      box.appendChild(el("div", {"class": "setting"}, [
        el("span", {"class": "label", text: "Condition"}),
        conditionEditor(step[mode], fieldsList, "Condition of “" + stepName(step) + "”",
                        function (c) { step[mode] = c; changed(); refreshSummary(step); })]));
      box.appendChild(field("Reason logged for a skipped record", textInput(step, "reason", {
        optional: true, placeholder: "e.g. Amazon orders go through the marketplace app"})));
    } else if (kind === "route") {
      (step.branches || []).forEach(function (branch, b) {
        var name = el("input", {type: "text", value: branch.name || ""});
        name.addEventListener("input", function () {
          branch.name = name.value; changed(); refreshSummary(step); refreshBranchTitles(step);
        });
        box.appendChild(el("fieldset", {"class": "branch-config"}, [
          el("legend", {text: "Branch " + (b + 1)}),
          field("Branch name", name),
          el("div", {"class": "setting"}, [
            el("span", {"class": "label", text: "Records go this way when"}),
            conditionEditor(branch.when, fieldsList, "Condition of branch " + (b + 1),
                            function (c) { branch.when = c; changed(); refreshSummary(step); })]),
          el("button", {type: "button", "class": "small secondary", "data-action": "remove-branch",
                        "data-branch": b, "data-id": step.id,
                        text: "Remove branch " + (b + 1)})]));
      });
      box.appendChild(el("p", {}, [
        el("button", {type: "button", "class": "small", "data-action": "add-branch",
                      "data-id": step.id, text: "+ Add a branch"}),
        el("span", {"class": "muted", text: " Records matching no branch take Otherwise."})]));
    } else if (kind === "transform") {
      var choices = [["", "This flow's mapping (" + config.flow.mapping + ")"]].concat(
        config.mappings.map(function (m) {
          return [m.name, m.name + (m.entity ? " → " + m.entity : "")];
        }));
      var version = el("select");
      var fillVersions = function () {
        var named = config.mappings.filter(function (m) { return m.name === step.mapping; })[0];
        version.textContent = "";
        version.appendChild(el("option", {value: "", text: "Its current version"}));
        (named ? named.versions : []).forEach(function (n) {
          version.appendChild(el("option", {value: String(n), text: "v" + n}));
        });
        version.value = step.version ? String(step.version) : "";
        version.disabled = !named || config.readonly;
      };
      version.addEventListener("change", function () {
        if (version.value) step.version = +version.value; else delete step.version;
        changed(); refreshSummary(step);
      });
      box.appendChild(field("Mapping", selectInput(step, "mapping", choices, function () {
        delete step.version; fillVersions();
      })));
      fillVersions();
      box.appendChild(field("Version", version,
                            "Pin a version, or run whichever is current (the mapping editor's)."));
    } else if (kind === "enrich") {
      var entity = el("select");
      var fillEntities = function () {
        var side = config.systems[step.system || "source"];
        entity.textContent = "";
        side.entities.forEach(function (e) { entity.appendChild(el("option", {value: e, text: e})); });
        if (side.entities.indexOf(step.entity) === -1 && step.entity) {
          entity.appendChild(el("option", {value: step.entity, text: step.entity}));
        }
        entity.value = step.entity || "";
      };
      entity.addEventListener("change", function () {
        step.entity = entity.value; changed(); refreshSummary(step);
      });
      box.appendChild(field("Read from", selectInput(step, "system", [
        ["source", config.systems.source.label + " (source)"],
        ["target", config.systems.target.label + " (target)"]], function () {
        step.entity = config.systems[step.system].entities[0] || ""; fillEntities();
      })));
      fillEntities();
      box.appendChild(field("Record", entity));
      if (typeof step.id_from === "string" || step.id_from === undefined) {
        box.appendChild(field("Its id is in", textInput(step, "id_from", {
          list: fieldsList, placeholder: "e.g. customer_id"})));
      } else {
        box.appendChild(field("Its id (a value rule)", jsonInput(step, "id_from")));
      }
      box.appendChild(field("Put it under", textInput(step, "as", {placeholder: "customer"}),
                            "Later steps and the mapping read it as <name>.<field>."));
      var required = el("input", {type: "checkbox"});
      required.checked = step.required !== false;
      required.addEventListener("change", function () {
        if (required.checked) delete step.required; else step.required = false;
        changed();
      });
      box.appendChild(el("label", {"class": "check"}, [required,
        " Required: a record whose related record is not found fails"]));
    } else if (kind === "validate") {
      (step.rules || []).forEach(function (rule, r) {
        var message = el("input", {type: "text", value: rule.message || "",
                                   placeholder: "e.g. the order total must be above 0"});
        message.addEventListener("input", function () { rule.message = message.value; changed(); });
        box.appendChild(el("fieldset", {"class": "rule-config"}, [
          el("legend", {text: "Rule " + (r + 1)}),
          el("div", {"class": "setting"}, [
            el("span", {"class": "label", text: "Records must satisfy"}),
            conditionEditor(rule.require, fieldsList, "Rule " + (r + 1),
                            function (c) { rule.require = c; changed(); refreshSummary(step); })]),
          field("Message when it does not", message),
          el("button", {type: "button", "class": "small secondary", "data-action": "remove-rule",
                        "data-rule": r, "data-id": step.id, text: "Remove rule " + (r + 1)})]));
      });
      box.appendChild(el("button", {type: "button", "class": "small", "data-action": "add-rule",
                                    "data-id": step.id, text: "+ Add a rule"}));
    } else if (kind === "check") {
      var checks = Object.keys(config.checks).map(function (c) {
        var info = config.checks[c];
        return [c, info.name + (info.applies ? "" : " (not for " + config.flow.entity + ")")];
      });
      box.appendChild(field("Check", selectInput(step, "check", checks, function (value) {
        if (!step.name || Object.keys(config.checks).some(function (c) {
          return config.checks[c].name === step.name;
        })) step.name = config.checks[value].name;
      })));
      var info = config.checks[step.check];
      if (info && !info.enabled) {
        box.appendChild(el("p", {"class": "warn small"}, [
          "Off in this flow's ", el("a", {href: config.urls.quality, text: "data-quality settings"}),
          ": records pass through it until it is turned on there."]));
      }
    } else if (kind === "follow_up") {
      var sides = [[config.systems.source.key, config.systems.source.label],
                   [config.systems.target.key, config.systems.target.label]];
      box.appendChild(field("Runs on", selectInput(step, "system", sides)));
      box.appendChild(field("Action", textInput(step, "action", {list: "steps-actions"}),
                            "A connector action, e.g. order_status_set."));
      box.appendChild(field("Arguments (value rules over source and target.id)",
                            jsonInput(step, "args", 4)));
      box.appendChild(field("Description", textInput(step, "description", {optional: true})));
    }
    box.appendChild(field("Note", textInput(step, "note", {optional: true})));
    var idInput = textInput(step, "id");
    // The card, its buttons and its problems are found by id: draw again once it is changed.
    idInput.addEventListener("change", function () {
      open[step.id] = true; render(step.id, ".step-config input[list], .step-config input");
    });
    box.appendChild(field("Step id", idInput,
                          "Lower-case letters, digits, - and _; unique in the flow. The log names steps by it."));
    if (!config.readonly) {
      var lists = allLists().filter(function (l) {
        return !(step.kind === "route" && (l.path + ".").indexOf(found.path + "." + found.index + ".") === 0);
      });
      var move = el("select", {}, lists.map(function (l) {
        return el("option", {value: l.path, text: l.label});
      }));
      move.value = path;
      var go = el("button", {type: "button", "class": "small secondary", "data-action": "move-to",
                             "data-id": step.id, text: "Move"});
      move.id = "move-" + step.id;
      move.className = "move-to";
      box.appendChild(el("div", {"class": "setting inline"}, [
        el("label", {"for": move.id, text: "Move to"}), move, go]));
    }
    if (config.readonly) {
      box.querySelectorAll("input, select, textarea, button").forEach(function (n) {
        n.disabled = true;
      });
    }
    return box;
  }

  function summary(step) {
    var kind = step.kind;
    if (kind === "filter") {
      var skip = "skip" in step;
      return (skip ? "Skip when " : "Keep only when ") + conditionText(skip ? step.skip : step.keep) +
        (step.reason ? " — “" + step.reason + "”" : "");
    }
    if (kind === "route") {
      return (step.branches || []).map(function (b) {
        return (b.name || "?") + " when " + conditionText(b.when);
      }).concat(["otherwise the rest"]).join("; ");
    }
    if (kind === "transform") {
      return step.mapping ? "Mapping “" + step.mapping + "”, " +
        (step.version ? "v" + step.version : "its current version")
        : "This flow's mapping (" + config.flow.mapping + ")";
    }
    if (kind === "enrich") {
      var side = config.systems[step.system] || {label: step.system};
      return "Read the " + (step.entity || "?") + " from " + side.label + " whose id is in " +
        (typeof step.id_from === "string" ? step.id_from || "?" : "a value rule") +
        ", as “" + (step.as || "?") + "”" + (step.required === false ? " (if found)" : "");
    }
    if (kind === "validate") {
      var rules = step.rules || [];
      return rules.length + " rule" + (rules.length === 1 ? "" : "s") + ": " +
        rules.map(function (r) { return r.message || conditionText(r.require); }).join("; ");
    }
    if (kind === "check") {
      var info = config.checks[step.check];
      if (!info) return step.check;
      var what = (step.name === info.name ? "" : info.name + ": ");
      return what + (info.enabled ? "on in this flow's data-quality settings"
        : "off in this flow's data-quality settings (records pass through)");
    }
    if (kind === "follow_up") {
      var on = step.system === config.systems.source.key ? config.systems.source.label
        : step.system === config.systems.target.key ? config.systems.target.label : step.system;
      return "After the write: " + (step.action || "?") + " on " + on;
    }
    return "";
  }

  function refreshSummary(step) {
    var card = canvas.querySelector('li.step[data-id="' + cssEscape(step.id) + '"] > .step-head .summary');
    if (card) card.textContent = summary(step);
  }

  function refreshBranchTitles(step) {
    var card = canvas.querySelector('li.step[data-id="' + cssEscape(step.id) + '"]');
    if (!card) return;
    card.querySelectorAll(":scope > .branches > .branch > .branch-title").forEach(function (t, b) {
      if (step.branches[b]) t.textContent = step.branches[b].name || "Branch " + (b + 1);
    });
  }

  function cssEscape(text) { return window.CSS && CSS.escape ? CSS.escape(text) : text; }

  // --- drawing ----------------------------------------------------------------------------
  function card(found) {
    var step = found.step;
    var name = stepName(step);
    var problems = problemsByStep[step.id] || [];
    var li = el("li", {"class": "step kind-" + step.kind + (problems.length ? " has-problems" : ""),
                       "data-id": step.id, tabindex: "-1"});
    var tools = config.readonly ? null : el("span", {"class": "tools"}, [
      el("button", {type: "button", "class": "small secondary", "data-action": "up",
                    "aria-label": "Move “" + name + "” up", title: "Move up (Alt+↑)", text: "↑"}),
      el("button", {type: "button", "class": "small secondary", "data-action": "down",
                    "aria-label": "Move “" + name + "” down", title: "Move down (Alt+↓)", text: "↓"}),
      el("button", {type: "button", "class": "small secondary", "data-action": "remove",
                    "aria-label": "Remove “" + name + "”", title: "Remove", text: "✕"})]);
    var decision = decisions[step.id];
    li.appendChild(el("div", {"class": "step-head"}, [
      config.readonly ? null : el("span", {"class": "handle", "aria-hidden": "true",
                                           title: "Drag to move", text: "⠿"}),
      el("span", {"class": "kind", text: (KINDS[step.kind] || {label: step.kind}).label}),
      el("button", {type: "button", "class": "step-title", "data-action": "toggle",
                    "aria-expanded": open[step.id] ? "true" : "false",
                    "aria-controls": "config-" + step.id, text: name}),
      el("span", {"class": "summary", text: summary(step)}),
      decision ? el("span", {"class": "decision " + decision.css, text: decision.text}) : null,
      tools]));
    if (problems.length) {
      li.appendChild(el("ul", {"class": "errorlist"}, problems.map(function (p) {
        return el("li", {text: p});
      })));
    }
    var config_ = settings(found);
    config_.hidden = !open[step.id];
    li.appendChild(config_);
    if (step.kind === "route") {
      var base = found.path + "." + found.index;
      var columns = (step.branches || []).map(function (branch, b) {
        return branchColumn(branch.name || "Branch " + (b + 1), conditionText(branch.when),
                            base + ".branches." + b + ".steps");
      });
      columns.push(branchColumn("Otherwise", "records matching no branch", base + ".otherwise"));
      li.appendChild(el("div", {"class": "branches"}, columns));
    }
    return li;
  }

  function branchColumn(title, when, path) {
    return el("div", {"class": "branch"}, [
      el("div", {"class": "branch-title", text: title}),
      el("div", {"class": "muted small", text: when}),
      stepList(path)]);
  }

  function stepList(path) {
    var list = listAt(path);
    var ol = el("ol", {"class": "step-list", "data-list": path,
                       "aria-label": path === "steps" ? "Steps" : "Branch steps"});
    var wrote = false;
    list.forEach(function (step, i) {
      if (path === "steps" && step.kind === "follow_up" && !wrote) {
        ol.appendChild(writeNode()); wrote = true;
      }
      ol.appendChild(card({step: step, path: path, index: i}));
    });
    if (path === "steps" && !wrote) ol.appendChild(writeNode());
    if (!list.length && path !== "steps") {
      ol.appendChild(el("li", {"class": "empty muted", text: config.readonly ? "No steps"
        : "Drop a step here, or add one below"}));
    }
    var wrap = el("div", {"class": "list-wrap"}, [ol]);
    if (!config.readonly) wrap.appendChild(addControl(path));
    return wrap;
  }

  function writeNode() {
    var target = config.systems.target;
    return el("li", {"class": "node write", "aria-label": "Target write"}, [
      el("span", {"class": "kind", text: "Write"}),
      el("span", {text: " " + target.label + " " + config.flow.entity + " — created or updated"})]);
  }

  function addControl(path) {
    var id = "add-" + path.replace(/\./g, "-");
    var select = el("select", {id: id, "class": "add-kind"}, KIND_ORDER.map(function (k) {
      return el("option", {value: k, text: KINDS[k].label});
    }));
    return el("div", {"class": "add-step"}, [
      el("label", {"for": id, text: "Add a step"}), select,
      el("button", {type: "button", "class": "small", "data-action": "add", "data-list": path,
                    text: "Add"})]);
  }

  function render(focusId, focusSelector) {
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    canvas.textContent = "";
    var source = config.systems.source;
    canvas.appendChild(el("div", {"class": "node trigger"}, [
      el("span", {"class": "kind", text: "Trigger"}),
      el("span", {text: " " + config.flow.trigger + ": " + source.label + " " + config.flow.entity})]));
    canvas.appendChild(stepList("steps"));
    var general = document.getElementById("steps-problems");
    general.textContent = "";
    generalProblems.forEach(function (p) { general.appendChild(el("li", {text: p})); });
    general.hidden = !generalProblems.length;
    if (!config.readonly && window.Sortable) bindSortables();
    if (focusId) {
      var target = canvas.querySelector('li.step[data-id="' + cssEscape(focusId) + '"]');
      var focus = target && (focusSelector ? target.querySelector(focusSelector) : target);
      if (focus) focus.focus();
    }
  }

  function bindSortables() {
    canvas.querySelectorAll("ol.step-list").forEach(function (ol) {
      sortables.push(window.Sortable.create(ol, {
        // Pointer events rather than the browser's own drag and drop, which differs between
        // browsers; a drag passes between nested lists the same way.
        forceFallback: true, fallbackTolerance: 3,
        group: "steps", draggable: "li.step", handle: ".step-head", filter: "button, input, select, textarea",
        preventOnFilter: false, animation: 120, fallbackOnBody: true, swapThreshold: 0.6,
        invertSwap: true, ghostClass: "ghost",
        onAdd: function (evt) {
          if (evt.item.classList.contains("palette-kind")) {
            var kind = evt.item.getAttribute("data-kind");
            var at = evt.newDraggableIndex;
            evt.item.remove();
            // After Sortable has finished with the drop: drawing again replaces its lists.
            window.setTimeout(function () { addStep(ol.getAttribute("data-list"), kind, at); }, 0);
          }
        },
        onEnd: function (evt) {
          if (evt.item.classList.contains("palette-kind")) return;
          var id = evt.item.getAttribute("data-id");
          var to = evt.to.getAttribute("data-list");
          if (evt.from === evt.to && evt.oldDraggableIndex === evt.newDraggableIndex) return;
          var at = evt.newDraggableIndex;
          window.setTimeout(function () {
            moveStep(id, to, at);
            render(id);
            var moved = find(id);
            if (moved) announce("Moved “" + stepName(moved.step) + "”.");
          }, 0);
        }
      }));
    });
  }

  function palette() {
    var box = document.getElementById("steps-palette");
    if (!box || config.readonly) { if (box) box.hidden = true; return; }
    var ul = el("ul", {"class": "palette-list"}, KIND_ORDER.map(function (kind) {
      // Class "step" too: Sortable counts a dropped kind among the list's steps.
      return el("li", {"class": "step palette-kind", "data-kind": kind}, [
        el("button", {type: "button", "data-action": "palette", "data-kind": kind,
                      "aria-label": "Add a " + KINDS[kind].label + " step",
                      text: KINDS[kind].label}),
        el("span", {"class": "muted small", text: KINDS[kind].help})]);
    }));
    box.appendChild(ul);
    if (window.Sortable) {
      window.Sortable.create(ul, {group: {name: "steps", pull: "clone", put: false}, sort: false,
                                  forceFallback: true, fallbackTolerance: 3,
                                  draggable: "li.palette-kind", animation: 120});
    }
  }

  function datalists() {
    function fill(id, items, text) {
      var list = document.getElementById(id);
      items.forEach(function (item) {
        list.appendChild(el("option", {value: item.path || item.action,
                                       label: text(item)}));
      });
    }
    fill("steps-source-fields", config.fields.source, function (f) {
      return (f.type ? f.type : "") + (f.sample ? " = " + f.sample : "");
    });
    fill("steps-target-fields", config.fields.target, function (f) { return f.type || ""; });
    fill("steps-actions", config.actions, function (a) {
      return a.system + (a.description ? ": " + a.description : "");
    });
  }

  // --- actions ----------------------------------------------------------------------------
  function onClick(event) {
    var button = event.target.closest("[data-action]");
    if (!button) return;
    var action = button.getAttribute("data-action");
    var li = button.closest("li.step");
    var id = button.getAttribute("data-id") || (li && li.getAttribute("data-id"));
    var found = id ? find(id) : null;
    if (action === "toggle" && found) {
      open[id] = !open[id];
      var box = li.querySelector(":scope > .step-config");
      box.hidden = !open[id];
      button.setAttribute("aria-expanded", open[id] ? "true" : "false");
      if (open[id]) { var first = box.querySelector("input, select, textarea"); if (first) first.focus(); }
    } else if ((action === "up" || action === "down") && found) {
      shift(found, action === "up" ? -1 : 1, "[data-action=" + action + "]");
    } else if (action === "remove" && found) {
      removeStep(id);
    } else if (action === "add") {
      var path = button.getAttribute("data-list");
      addStep(path, button.parentNode.querySelector("select").value);
    } else if (action === "palette") {
      // Kinds that decide about the source record go first; the rest before the follow-ups.
      var kind = button.getAttribute("data-kind");
      addStep("steps", kind, ["filter", "route", "enrich"].indexOf(kind) !== -1 ? 0 : undefined);
    } else if (action === "move-to" && found) {
      var to = button.parentNode.querySelector("select.move-to").value;
      moveStep(id, to, to === "steps" ? insertionIndex(listAt("steps"), found.step.kind) : 1e9);
      render(id, ".step-title");
      announce("Moved “" + stepName(found.step) + "”.");
    } else if (action === "add-branch" && found) {
      found.step.branches.push({name: "Branch " + (found.step.branches.length + 1),
                                when: {from: "", eq: ""}, steps: []});
      changed(); render(id, "[data-action=add-branch]");
    } else if (action === "remove-branch" && found) {
      found.step.branches.splice(+button.getAttribute("data-branch"), 1);
      changed(); render(id, "[data-action=add-branch]");
    } else if (action === "add-rule" && found) {
      found.step.rules.push({require: {from: "", exists: true}, message: ""});
      changed(); render(id, "[data-action=add-rule]");
    } else if (action === "remove-rule" && found) {
      found.step.rules.splice(+button.getAttribute("data-rule"), 1);
      changed(); render(id, "[data-action=add-rule]");
    }
  }

  function shift(found, by, focusSelector) {
    var list = listAt(found.path);
    var to = found.index + by;
    if (to < 0 || to >= list.length) {
      announce("“" + stepName(found.step) + "” is already " + (by < 0 ? "first" : "last") +
               " here; use Move to for another branch.");
      return;
    }
    list.splice(to, 0, list.splice(found.index, 1)[0]);
    changed();
    render(found.step.id, focusSelector);
    announce("Moved “" + stepName(found.step) + "” to position " + (to + 1) + " of " + list.length + ".");
  }

  function onKey(event) {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    var li = event.target.closest("li.step");
    if (!li || config.readonly || event.target.matches("input, select, textarea")) return;
    var found = find(li.getAttribute("data-id"));
    if (!found) return;
    event.preventDefault();
    shift(found, event.key === "ArrowUp" ? -1 : 1, ".step-title");
  }

  function post(form) {
    var data = new FormData(form);
    data.set("document", JSON.stringify(doc));
    return fetch(form.action, {method: "POST", body: data, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (body) { return {status: response.status, body: body}; },
          function () { return {status: response.status, body: {message: "The server answered " + response.status + "."}}; });
      });
  }

  function showProblems(problems) {
    problemsByStep = {}; generalProblems = [];
    (problems || []).forEach(function (p) {
      var text = (p.where ? p.where + ": " : "") + p.message;
      if (p.step && find(p.step)) (problemsByStep[p.step] = problemsByStep[p.step] || []).push(text);
      else generalProblems.push(p.step ? "step '" + p.step + "' " + text : text);
    });
  }

  function onSave(event) {
    event.preventDefault();
    var form = event.target, status = document.getElementById("steps-save-status");
    status.className = "muted"; status.textContent = "Checking and saving…";
    post(form).then(function (answer) {
      if (answer.status === 200) {
        saving = true;
        window.location.assign(answer.body.redirect);
        return;
      }
      status.className = "bad";
      status.textContent = answer.body.message || "Nothing was saved.";
      if (answer.status === 409) document.getElementById("steps-overwrite").hidden = false;
      showProblems(answer.body.problems);
      render();
      if (answer.body.problems && answer.body.problems.length) {
        var first = canvas.querySelector("li.step.has-problems");
        if (first) first.scrollIntoView({block: "center"});
      }
    }, function () {
      status.className = "bad"; status.textContent = "Could not reach the server; nothing was saved.";
    });
  }

  var OUTCOMES = {write: ["ok", "Would be written"], skip: ["warn", "Skipped"],
                  failed: ["bad", "Would fail"], "invalid-document": ["bad", "Steps have mistakes"],
                  "no-sample": ["bad", "No sample"]};

  function decisionOf(t) {
    var text = t.decision || "";
    var css = /^skip/i.test(text) ? "warn" : /fail|not |invalid/i.test(text) ? "bad"
      : /^off /i.test(text) ? "off" : "ok";
    return {text: text.length > 60 ? text.slice(0, 57) + "…" : text, css: css};
  }

  function pre(value) {
    return el("pre", {"class": "json", text: JSON.stringify(value, null, 2)});
  }

  function onTest(event) {
    event.preventDefault();
    var form = event.target, out = document.getElementById("steps-test-result");
    out.textContent = "Running…";
    post(form).then(function (answer) {
      var r = answer.body;
      out.textContent = "";
      decisions = {};
      var outcome = OUTCOMES[r.outcome] || ["bad", r.outcome || "Error"];
      out.appendChild(el("p", {"class": "outcome " + outcome[0], role: "status"}, [
        el("strong", {text: outcome[1] + ": "}), r.message || ""]));
      if (r.origin) out.appendChild(el("p", {"class": "muted small origin", text: "Record: " + r.origin}));
      if (r.problems && r.problems.length) {
        out.appendChild(el("ul", {"class": "errorlist"}, r.problems.map(function (p) {
          var where = p.step ? "step '" + p.step + "'" + (p.where ? " (" + p.where + ")" : "") : p.where || p.target_path || "";
          return el("li", {text: (where ? where + ": " : "") + p.message});
        })));
      }
      if (r.outcome === "invalid-document") showProblems(r.problems);
      (r.trace || []).forEach(function (t) { decisions[t.step] = decisionOf(t); });
      if (r.trace && r.trace.length) {
        out.appendChild(el("h3", {text: "Step by step"}));
        out.appendChild(el("ol", {"class": "trace"}, r.trace.map(function (t) {
          return el("li", {style: "margin-left:" + (t.depth * 1.5) + "em", "data-step": t.step}, [
            el("strong", {text: t.name || t.step}), " ",
            el("span", {"class": "muted", text: "(" + (KINDS[t.kind] || {label: t.kind}).label + ")"}),
            " — ", el("span", {"class": "decision " + decisionOf(t).css, text: t.decision}),
            el("details", {}, [el("summary", {text: "Input and output"}),
              el("div", {"class": "io"}, [
                el("div", {}, [el("span", {"class": "label", text: "Input"}), pre(t.input)]),
                el("div", {}, [el("span", {"class": "label", text: "Output"}), pre(t.output)])])])]);
        })));
      }
      if (r.record) {
        out.appendChild(el("details", {}, [
          el("summary", {text: "What would be written (" + (r.would || "") + ")"}), pre(r.record)]));
      }
      if (r.follow_ups && r.follow_ups.length) {
        out.appendChild(el("p", {text: "Then: " + r.follow_ups.join(", ") + "."}));
      }
      render();
    }, function () { out.textContent = "Could not reach the server."; });
  }

  function showSampleSource(form) {
    var checked = form.querySelector('input[name="source"]:checked');
    form.querySelectorAll("[data-preview]").forEach(function (part) {
      part.hidden = !checked || part.getAttribute("data-preview") !== checked.value;
    });
  }

  function jsonPanel() {
    var panel = document.getElementById("steps-json");
    if (!panel) return;
    var area = panel.querySelector("textarea"), error = panel.querySelector(".bad");
    panel.addEventListener("toggle", function () {
      if (panel.open) area.value = JSON.stringify(doc, null, 2);
    });
    var apply = panel.querySelector("[data-json=apply]");
    if (config.readonly) { area.readOnly = true; if (apply) apply.hidden = true; return; }
    apply.addEventListener("click", function () {
      var parsed;
      try { parsed = JSON.parse(area.value); } catch (e) {
        error.textContent = "Not valid JSON: " + e.message; error.hidden = false; return;
      }
      if (!parsed || typeof parsed !== "object" || !Array.isArray(parsed.steps)) {
        error.textContent = "The document is an object with a \"steps\" list."; error.hidden = false; return;
      }
      error.hidden = true; doc = parsed; changed(); render();
      announce("The JSON is applied to the editor; save it as a new version when it is right.");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("steps-config");
    canvas = document.getElementById("steps-canvas");
    live = document.getElementById("steps-live");
    if (!holder || !canvas) return;
    config = JSON.parse(holder.textContent);
    doc = clone(config.document);
    if (!Array.isArray(doc.steps)) doc.steps = [];
    datalists();
    palette();
    render();
    canvas.addEventListener("click", onClick);
    canvas.addEventListener("keydown", onKey);
    document.getElementById("steps-palette").addEventListener("click", onClick);
    var save = document.getElementById("steps-save-form");
    if (save) save.addEventListener("submit", onSave);
    var test = document.getElementById("steps-test-form");
    test.addEventListener("submit", onTest);
    test.addEventListener("change", function (e) { if (e.target.name === "source") showSampleSource(test); });
    showSampleSource(test);
    jsonPanel();
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !saving) { event.preventDefault(); event.returnValue = ""; }
    });
  });
})();
