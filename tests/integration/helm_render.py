#!/usr/bin/env python3
"""helm_render.py - renders the Sluice Helm chart without Helm, for tests/integration/test_deploy.sh.

Helm is not installed where the tests run, so this implements the small part of Go's text/template
and of Helm's functions that deploy/helm/sluice/templates uses: {{- -}} whitespace trimming,
comments, define/include, if/else if/else, with, range (with $var :=), $var := ..., pipelines, and
the functions include, nindent, indent, toYaml, quote, default, printf, trunc, trimSuffix, replace,
join, first, or, and, not, eq. Anything else is an error, so a template that uses more fails here
loudly instead of being rendered wrongly.

Usage: helm_render.py CHART_DIR [--set-json JSON] [--release NAME] [--namespace NS]
                      [--check-against DEPLOY_DIR]
Prints the rendered manifests (YAML stream) of templates/*.yaml, in name order, as `helm template`.
--check-against: also checks that the chart, with its default values, renders what the plain
manifests (operator.yaml, rbac.yaml, spark-rbac.yaml) say: the operator container (args, probes,
resources, security), the pod security context, the RBAC rules and the metrics Service ports.
Exit 1 with a message on any template, YAML or comparison error.
"""
import json
import os
import re
import sys

import yaml


class TemplateError(Exception):
    pass


# ---------------------------------------------------------------- lexing

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)


def lex(text):
    """[(kind, value)]: ("text", s) and ("action", s), with {{- and -}} trimming applied."""
    out = []
    pos = 0
    for m in ACTION.finditer(text):
        chunk = text[pos:m.start()]
        if m.group(1):
            chunk = chunk.rstrip(" \t\r\n")
        out.append(["text", chunk])
        out.append(["action", m.group(2).strip(), bool(m.group(3))])
        pos = m.end()
    out.append(["text", text[pos:]])
    # right trimming applies to the following text
    for i, t in enumerate(out):
        if t[0] == "action" and t[2] and i + 1 < len(out):
            out[i + 1][1] = out[i + 1][1].lstrip(" \t\r\n")
    return [(t[0], t[1]) for t in out if t[0] == "action" or t[1]]


# ---------------------------------------------------------------- parsing into a tree

def parse(tokens, defines):
    """A list of nodes; define blocks are stored in defines."""
    pos = 0

    def block(stop):
        nonlocal pos
        nodes = []
        while pos < len(tokens):
            kind, v = tokens[pos]
            if kind == "text":
                nodes.append(("text", v))
                pos += 1
                continue
            word = v.split(None, 1)[0] if v else ""
            if v.startswith("/*"):
                pos += 1
                continue
            if word in stop:
                return nodes, v
            pos += 1
            if word in ("if", "with", "range"):
                arg = v[len(word):].strip()
                body, end = block(("else", "end"))
                branches = [(arg, body)]
                other = None
                while end.split(None, 1)[0] == "else":
                    pos += 1
                    rest = end[4:].strip()
                    if rest.startswith("if "):
                        body, end = block(("else", "end"))
                        branches.append((rest[3:].strip(), body))
                    else:
                        other, end = block(("end",))
                pos += 1  # the end
                nodes.append((word, branches, other))
            elif word == "define":
                name = json.loads(v[len("define"):].strip())
                body, _ = block(("end",))
                pos += 1
                defines[name] = body
            elif word in ("end", "else"):
                raise TemplateError("unexpected {{%s}}" % v)
            else:
                nodes.append(("action", v))
        if stop:
            raise TemplateError("missing {{end}}")
        return nodes, None

    nodes, _ = block(())
    return nodes


# ---------------------------------------------------------------- expressions

TOKEN = re.compile(r'\s*(\(|\)|\||"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s()|]+)')


def split_tokens(expr):
    out = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise TemplateError("cannot parse %r" % expr)
        out.append(m.group(1))
        pos = m.end()
    return out


def empty(v):
    return v is None or v is False or v == 0 or v == "" or v == [] or v == {}


def to_yaml(v):
    if empty(v) and not isinstance(v, (int, float)):
        return ""
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True).rstrip("\n")


def go_printf(fmt, *args):
    return re.sub(r"%[sdv]", "%s", fmt) % tuple(args)


class Renderer:
    def __init__(self, defines):
        self.defines = defines
        self.funcs = {
            "include": lambda name, ctx: self.render_nodes(self.define(name), ctx, {"$": ctx}),
            "nindent": lambda n, s: "\n" + "\n".join((" " * n + l) if l else l
                                                     for l in str(s).split("\n")),
            "indent": lambda n, s: "\n".join((" " * n + l) if l else l
                                             for l in str(s).split("\n")),
            "toYaml": to_yaml,
            "quote": lambda *a: " ".join(json.dumps("" if x is None else str(x)) for x in a),
            "default": lambda d, v=None: d if empty(v) else v,
            "printf": go_printf,
            "trunc": lambda n, s: s[:n],
            "trimSuffix": lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s,
            "replace": lambda old, new, s: s.replace(old, new),
            "join": lambda sep, l: sep.join(str(x) for x in (l or [])),
            "first": lambda l: l[0] if l else None,
            "or": lambda *a: next((x for x in a if not empty(x)), a[-1]),
            "and": lambda *a: next((x for x in a if empty(x)), a[-1]),
            "not": lambda v: empty(v),
            "eq": lambda a, b: a == b,
        }

    def define(self, name):
        if name not in self.defines:
            raise TemplateError("no template %r" % name)
        return self.defines[name]

    # -- values
    def field(self, base, path):
        for part in [p for p in path.split(".") if p]:
            if isinstance(base, dict):
                base = base.get(part)
            else:
                return None
        return base

    def operand(self, tok, dot, vars_):
        if tok.startswith('"'):
            return json.loads(tok)
        if tok.startswith("`"):
            return tok[1:-1]
        if re.fullmatch(r"-?\d+", tok):
            return int(tok)
        if tok in ("true", "false"):
            return tok == "true"
        if tok == "nil":
            return None
        if tok == ".":
            return dot
        if tok.startswith("."):
            return self.field(dot, tok)
        if tok.startswith("$"):
            name, _, rest = tok.partition(".")
            if name not in vars_:
                raise TemplateError("undefined variable %s" % name)
            return self.field(vars_[name], rest) if rest else vars_[name]
        raise TemplateError("unknown operand %r" % tok)

    def eval_cmd(self, toks, dot, vars_, piped, has_piped):
        # parenthesised sub-expressions
        args = []
        i = 0
        while i < len(toks):
            if toks[i] == "(":
                depth, j = 1, i + 1
                while depth:
                    depth += {"(": 1, ")": -1}.get(toks[j], 0)
                    j += 1
                args.append(("value", self.eval_pipeline(toks[i + 1:j - 1], dot, vars_)))
                i = j
            else:
                args.append(("tok", toks[i]))
                i += 1
        head = args[0]
        if head[0] == "tok" and head[1] in self.funcs:
            vals = [v if k == "value" else self.operand(v, dot, vars_) for k, v in args[1:]]
            if has_piped:
                vals.append(piped)
            try:
                return self.funcs[head[1]](*vals)
            except TypeError as e:
                raise TemplateError("%s: %s" % (head[1], e))
        if head[0] == "tok" and re.fullmatch(r"[A-Za-z]\w*", head[1]):
            raise TemplateError("unsupported function %r" % head[1])
        if len(args) != 1 or has_piped:
            raise TemplateError("cannot call a value: %r" % toks)
        return head[1] if head[0] == "value" else self.operand(head[1], dot, vars_)

    def eval_pipeline(self, toks, dot, vars_):
        cmds, cur, depth = [], [], 0
        for t in toks:
            if t == "|" and depth == 0:
                cmds.append(cur)
                cur = []
                continue
            depth += {"(": 1, ")": -1}.get(t, 0)
            cur.append(t)
        cmds.append(cur)
        val, has = None, False
        for c in cmds:
            val = self.eval_cmd(c, dot, vars_, val, has)
            has = True
        return val

    def eval_expr(self, expr, dot, vars_):
        """Evaluates an action; handles `$x := pipeline`. Returns (value, is_assignment)."""
        m = re.match(r"^(\$\w+)\s*:?=\s*(.*)$", expr, re.S)
        if m:
            vars_[m.group(1)] = self.eval_pipeline(split_tokens(m.group(2)), dot, vars_)
            return None, True
        return self.eval_pipeline(split_tokens(expr), dot, vars_), False

    # -- nodes
    def render_nodes(self, nodes, dot, vars_):
        out = []
        for n in nodes:
            kind = n[0]
            if kind == "text":
                out.append(n[1])
            elif kind == "action":
                v, assigned = self.eval_expr(n[1], dot, vars_)
                if not assigned:
                    out.append("" if v is None else (json.dumps(v) if isinstance(v, bool)
                                                    else str(v)))
            elif kind == "if":
                for cond, body in n[1]:
                    if not empty(self.eval_expr(cond, dot, dict(vars_))[0]):
                        out.append(self.render_nodes(body, dot, dict(vars_)))
                        break
                else:
                    if n[2] is not None:
                        out.append(self.render_nodes(n[2], dot, dict(vars_)))
            elif kind == "with":
                v = self.eval_expr(n[1][0][0], dot, dict(vars_))[0]
                if not empty(v):
                    out.append(self.render_nodes(n[1][0][1], v, dict(vars_)))
                elif n[2] is not None:
                    out.append(self.render_nodes(n[2], dot, dict(vars_)))
            elif kind == "range":
                arg = n[1][0][0]
                m = re.match(r"^(\$\w+)(?:\s*,\s*(\$\w+))?\s*:=\s*(.*)$", arg, re.S)
                expr = m.group(3) if m else arg
                seq = self.eval_expr(expr, dot, dict(vars_))[0] or []
                items = list(seq.items()) if isinstance(seq, dict) else list(enumerate(seq))
                for k, v in items:
                    inner = dict(vars_)
                    if m and m.group(2):
                        inner[m.group(1)], inner[m.group(2)] = k, v
                    elif m:
                        inner[m.group(1)] = v
                    out.append(self.render_nodes(n[1][0][1], v, inner))
        return "".join(out)


def merge(a, b):
    """b over a, maps recursively (as Helm merges --set values over values.yaml)."""
    if isinstance(a, dict) and isinstance(b, dict):
        r = dict(a)
        for k, v in b.items():
            r[k] = merge(a.get(k), v)
        return r
    return b


def render_chart(chart_dir, overrides=None, release="sluice", namespace="sluice-system"):
    """{template name: rendered text} of templates/*.yaml (and NOTES.txt)."""
    with open(os.path.join(chart_dir, "Chart.yaml")) as f:
        chart = yaml.safe_load(f)
    with open(os.path.join(chart_dir, "values.yaml")) as f:
        values = yaml.safe_load(f) or {}
    values = merge(values, overrides or {})
    ctx = {
        "Values": values,
        "Release": {"Name": release, "Namespace": namespace, "Service": "Helm"},
        "Chart": {k[0].upper() + k[1:]: v for k, v in chart.items()},
    }
    tdir = os.path.join(chart_dir, "templates")
    names = sorted(os.listdir(tdir))
    defines = {}
    trees = {}
    for n in names:
        with open(os.path.join(tdir, n)) as f:
            tree = parse(lex(f.read()), defines)
        if not n.startswith("_"):
            trees[n] = tree
    r = Renderer(defines)
    return {n: r.render_nodes(t, ctx, {"$": ctx}) for n, t in trees.items()}


def docs_of(text_by_name):
    out = []
    for name, text in text_by_name.items():
        if not name.endswith(".yaml"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            for k in ("apiVersion", "kind"):
                if not doc.get(k):
                    raise TemplateError("%s: a document without %s" % (name, k))
            if not (doc.get("metadata") or {}).get("name"):
                raise TemplateError("%s: a %s without metadata.name" % (name, doc["kind"]))
            out.append((name, doc))
    return out


def check_against(docs, deploy_dir):
    plain = []
    for f in ("operator.yaml", "rbac.yaml", "spark-rbac.yaml"):
        with open(os.path.join(deploy_dir, f)) as fh:
            plain += [d for d in yaml.safe_load_all(fh) if d]

    def one(stream, kind, pred=lambda d: True):
        found = [d for d in stream if d["kind"] == kind and pred(d)]
        if len(found) != 1:
            raise TemplateError("expected one %s, found %d" % (kind, len(found)))
        return found[0]

    rendered = [d for _, d in docs]
    dep_r, dep_p = one(rendered, "Deployment"), one(plain, "Deployment")
    c_r = dep_r["spec"]["template"]["spec"]["containers"][0]
    c_p = dep_p["spec"]["template"]["spec"]["containers"][0]
    for k in ("args", "livenessProbe", "readinessProbe", "resources", "securityContext", "ports",
              "env", "volumeMounts", "image", "imagePullPolicy"):
        if c_r.get(k) != c_p.get(k):
            raise TemplateError("Deployment container %s: chart %r, operator.yaml %r"
                                % (k, c_r.get(k), c_p.get(k)))
    for k in ("securityContext", "volumes", "serviceAccountName"):
        if dep_r["spec"]["template"]["spec"].get(k) != dep_p["spec"]["template"]["spec"].get(k):
            raise TemplateError("Deployment pod %s differs" % k)
    for k in ("replicas", "strategy"):
        if dep_r["spec"].get(k) != dep_p["spec"].get(k):
            raise TemplateError("Deployment %s differs" % k)
    pairs = [("ClusterRole", lambda d: True), ("Role", lambda d: "leader" in d["metadata"]["name"]),
             ("Role", lambda d: d["metadata"]["name"] == "spark")]
    for kind, pred in pairs:
        if one(rendered, kind, pred)["rules"] != one(plain, kind, pred)["rules"]:
            raise TemplateError("%s rules differ between the chart and deploy/" % kind)
    s_r, s_p = one(rendered, "Service"), one(plain, "Service")
    if s_r["spec"]["ports"] != s_p["spec"]["ports"]:
        raise TemplateError("metrics Service ports differ")
    kinds_r = sorted((d["kind"], d["metadata"]["name"]) for d in rendered)
    kinds_p = sorted((d["kind"], d["metadata"]["name"]) for d in plain if d["kind"] != "Namespace")
    if kinds_r != kinds_p:
        raise TemplateError("objects differ:\n chart  %s\n deploy %s" % (kinds_r, kinds_p))


def main(argv):
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("chart")
    p.add_argument("--set-json", default="{}")
    p.add_argument("--release", default="sluice")
    p.add_argument("--namespace", default="sluice-system")
    p.add_argument("--check-against", default=None)
    a = p.parse_args(argv[1:])
    try:
        docs = docs_of(render_chart(a.chart, json.loads(a.set_json), a.release, a.namespace))
        if a.check_against:
            check_against(docs, a.check_against)
        sys.stdout.write("---\n".join("# Source: sluice/templates/%s\n" % name +
                                       yaml.safe_dump(doc, sort_keys=False)
                                       for name, doc in docs))
    except (TemplateError, yaml.YAMLError) as e:
        sys.stderr.write("helm_render: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
