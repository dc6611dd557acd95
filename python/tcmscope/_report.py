"""The results of analyze() and compare(): the CLI's JSON, with named fields and a Jupyter view."""
import copy
import html


def _interval(section, key):
    value = (section or {}).get(key)
    return None if value is None else (value["low"], value["high"])


class Report:
    """`tcmscope analyze --json` as an object. `to_dict()` is that JSON exactly; `svg` the curves
    figure of `analyze --plot` (None unless drawn: figure=True, or by default in Jupyter); `gate_tripped` is True when a
    fail_above_* option's bound was exceeded (the CLI's exit status 1)."""

    def __init__(self, data, svg=None, gate_tripped=False):
        self._data = data
        self.svg = svg
        self.gate_tripped = gate_tripped

    def to_dict(self):
        return copy.deepcopy(self._data)

    @property
    def opis(self):
        return self._data["report"]["opis"]

    @property
    def epsilon_opis(self):
        return self._data["report"]["epsilonOPIS"]

    @property
    def classes(self):
        """One row per class: name, size, utility/TPR/FAR/FRR at the threshold, OPIS term, ..."""
        return copy.deepcopy(self._data["report"]["classes"])

    @property
    def settings(self):
        return copy.deepcopy(self._data["report"]["settings"])

    @property
    def threshold(self):
        return self._data["report"]["settings"]["operatingThreshold"]

    @property
    def eer(self):
        return self._data["report"]["global"]["eer"]

    @property
    def intervals(self):
        """{"opis": (low, high), "epsilon_opis": ..., "recall_at_1", "eer", "far", "tpr"} with
        bootstrap=B, else None. "epsilon_opis" is absent under 1000 classes (epsilon_opis_withheld
        says why)."""
        section = self._data.get("bootstrap")
        if section is None:
            return None
        names = {"opis": "opis", "epsilon_opis": "epsilonOPIS", "recall_at_1": "recallAt1"}
        names.update({key: key for key in ("eer", "far", "tpr")})
        return {name: _interval(section, key) for name, key in names.items() if key in section}

    @property
    def epsilon_opis_withheld(self):
        """Why ε-OPIS has no interval, with bootstrap=B on fewer than 1000 classes (no method holds
        its level with so few classes per group: docs/definitions.md); None when it has one."""
        section = self._data.get("bootstrap")
        return None if section is None else section.get("epsilonOPISWithheld")

    @property
    def recall_at(self):
        """{k: Recall@k}, or None with retrieval=False."""
        retrieval = self._data.get("retrieval")
        return None if retrieval is None else {row["k"]: row["recall"] for row in retrieval["recallAtK"]}

    @property
    def map_at_r(self):
        retrieval = self._data.get("retrieval")
        return None if retrieval is None else retrieval["mapAtR"]

    @property
    def r_precision(self):
        retrieval = self._data.get("retrieval")
        return None if retrieval is None else retrieval["rPrecision"]

    def _summary_rows(self):
        intervals = self.intervals or {}
        rows = [("OPIS", self.opis, intervals.get("opis")),
                ("ε-OPIS", self.epsilon_opis, intervals.get("epsilon_opis"))]
        if self.recall_at is not None:
            rows.append(("Recall@1", self.recall_at.get(1), intervals.get("recall_at_1")))
            rows.append(("MAP@R", self.map_at_r, None))
        rows.append(("EER", self.eer, intervals.get("eer")))
        return rows

    def __repr__(self):
        parts = [f"{name} {value:.4g}" + (f" [{iv[0]:.4g}, {iv[1]:.4g}]" if iv else "")
                 for name, value, iv in self._summary_rows() if value is not None]
        return f"<tcmscope.Report {len(self._data['report']['classes'])} classes: " + ", ".join(parts) + ">"

    def _repr_html_(self):
        summary = "".join(
            f"<tr><th style='text-align:left'>{html.escape(name)}</th><td>{value:.4g}</td>"
            f"<td>{'' if iv is None else f'[{iv[0]:.4g}, {iv[1]:.4g}]'}</td></tr>"
            for name, value, iv in self._summary_rows() if value is not None)
        head = "<tr><th>class</th><th>n</th><th>U@t</th><th>FAR</th><th>FRR</th><th>OPIS term</th></tr>"
        body = "".join(
            f"<tr><td>{html.escape(str(row['name']))}</td><td>{row['size']}</td><td>{row['utility']:.4f}</td>"
            f"<td>{row['far']:.2e}</td><td>{row['frr']:.4f}</td><td>{row['opisTerm']:.2e}</td></tr>"
            for row in sorted(self._data["report"]["classes"], key=lambda r: -r["opisTerm"]))
        settings = html.escape(f"{self.settings['rangeSpec']}, threshold {self.threshold:.4f}")
        tables = (f"<div><b>tcmscope.Report</b> <small>{settings}</small><table>{summary}</table>"
                  f"<table>{head}{body}</table></div>")
        figure = (f"<div style='max-width:720px'>{self.svg}</div>" if self.svg
                  else "<div><small>analyze(..., figure=True) draws the curves here</small></div>")
        return f"<div style='display:flex;gap:1em;flex-wrap:wrap'>{tables}{figure}</div>"


class Comparison:
    """`tcmscope compare A B LABELS --json` as an object: B − A. The paired test's fields come
    from the bootstrap (compare() runs 1000 replicates unless told otherwise)."""

    def __init__(self, data, gate_tripped=False):
        self._data = data
        self.gate_tripped = gate_tripped

    def to_dict(self):
        return copy.deepcopy(self._data)

    @property
    def a(self):
        return copy.deepcopy(self._data["a"])

    @property
    def b(self):
        return copy.deepcopy(self._data["b"])

    @property
    def change(self):
        """B − A of opis, epsilonOPIS, recallAt1, mapAtR."""
        return copy.deepcopy(self._data["change"])

    @property
    def opis_change(self):
        return self._data["change"]["opis"]

    @property
    def classes(self):
        return copy.deepcopy(self._data["classes"])

    @property
    def opis_change_interval(self):
        return _interval(self._data.get("bootstrap"), "opisChangeInterval")

    @property
    def p_value_worse(self):
        """One-sided p-value of "B is worse" from the paired bootstrap over the shared classes."""
        section = self._data.get("bootstrap")
        return None if section is None else section["pValueWorse"]

    @property
    def significance(self):
        return self._data.get("significance")

    def __repr__(self):
        interval = self.opis_change_interval
        text = f"Δ OPIS {self.opis_change:+.4g}"
        if interval:
            text += f" [{interval[0]:+.4g}, {interval[1]:+.4g}], p(worse) {self.p_value_worse:.3g}"
        return f"<tcmscope.Comparison {text}>"

    def _repr_html_(self):
        a, b, change = self._data["a"], self._data["b"], self._data["change"]
        rows = "".join(
            f"<tr><th style='text-align:left'>{name}</th><td>{a[key]:.4g}</td>"
            f"<td>{b[key]:.4g}</td><td>{change[key]:+.4g}</td></tr>"
            for name, key in (("OPIS", "opis"), ("ε-OPIS", "epsilonOPIS"), ("Recall@1", "recallAt1"),
                              ("MAP@R", "mapAtR"))
            if a.get(key) is not None and b.get(key) is not None and change.get(key) is not None)
        interval = self.opis_change_interval
        test = "" if interval is None else (
            f"<p>Δ OPIS interval [{interval[0]:+.4g}, {interval[1]:+.4g}], p(B worse) = {self.p_value_worse:.3g}</p>")
        head = "<tr><th></th><th>A</th><th>B</th><th>B − A</th></tr>"
        return f"<div><b>tcmscope.Comparison</b> (B − A)<table>{head}{rows}</table>{test}</div>"
