#!/usr/bin/env python3
"""Write spec/*.json for codearts-rs by introspecting the pinned official SDK packages.

Only facts are taken from the packages (operation names, HTTP methods, paths,
parameter locations, wire names, types, required-ness, content types, regions).
No descriptions are copied.

Usage:
    python3 xtask/import_spec.py --repo-root DIR --version 3.1.219 \
        [--wheel-dir DIR | --reuse-lock-wheels]

--wheel-dir          directory holding the four downloaded wheels (hashed into spec.lock.json)
--reuse-lock-wheels  offline mode: copy the wheel hashes from the existing spec/spec.lock.json
                     (its version must match)
Without either flag the script runs `pip download` into a temporary directory.
"""

import argparse
import ast
import hashlib
import importlib
import importlib.metadata
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

PACKAGES = [
    "huaweicloudsdkcore",
    "huaweicloudsdkcodeartspipeline",
    "huaweicloudsdkcodeartsbuild",
    "huaweicloudsdkiam",
]

SERVICES = [
    {
        "service": "codeartspipeline",
        "title": "CodeArts Pipeline",
        "package": "huaweicloudsdkcodeartspipeline",
        "api_version": "v2",
        "client": "CodeArtsPipelineClient",
        "region_module": "huaweicloudsdkcodeartspipeline.v2.region.codeartspipeline_region",
        "region_class": "CodeArtsPipelineRegion",
        "expected_ops": 100,
        "only_ops": None,
    },
    {
        "service": "codeartsbuild",
        "title": "CodeArts Build",
        "package": "huaweicloudsdkcodeartsbuild",
        "api_version": "v3",
        "client": "CodeArtsBuildClient",
        "region_module": "huaweicloudsdkcodeartsbuild.v3.region.codeartsbuild_region",
        "region_class": "CodeArtsBuildRegion",
        "expected_ops": 135,
        "only_ops": None,
    },
    {
        "service": "iam",
        "title": "Identity and Access Management",
        "package": "huaweicloudsdkiam",
        "api_version": "v3",
        "client": "IamClient",
        "region_module": "huaweicloudsdkiam.v3.region.iam_region",
        "region_class": "IamRegion",
        "expected_ops": 2,
        "only_ops": ["keystone_create_user_token_by_password", "keystone_list_projects"],
    },
]

METHOD_ORDER = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
PRIMITIVES = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "double"},
    "bool": {"type": "boolean"},
    "object": {},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "file": {"type": "string", "format": "binary"},
}
MULTIPART = "multipart/form-data"


class SpecError(Exception):
    pass


def fail(msg):
    raise SpecError(msg)


# ---------------------------------------------------------------- type strings

class TypeParser:
    """Parses SDK type strings into OpenAPI schemas, collecting referenced models."""

    def __init__(self, module):
        self.module = module

    def model_class(self, name):
        cls = getattr(self.module, name, None)
        if cls is None or not inspect.isclass(cls) or not hasattr(cls, "openapi_types"):
            return None
        return cls

    def schema(self, type_str, refs):
        t = type_str.strip()
        if t in PRIMITIVES:
            return dict(PRIMITIVES[t])
        m = re.fullmatch(r"list\[(.+)\]", t)
        if m:
            return {"type": "array", "items": self.schema(m.group(1), refs)}
        m = re.fullmatch(r"dict\(\s*str\s*,\s*(.+)\)", t)
        if m:
            return {"type": "object", "additionalProperties": self.schema(m.group(1), refs)}
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t) and self.model_class(t) is not None:
            refs.add(t)
            return {"$ref": "#/components/schemas/" + t}
        fail("type string not understood: %r" % type_str)

    def dummy(self, type_str, tag):
        """A dummy value of the right shape for a request attribute."""
        t = type_str.strip()
        if t == "str":
            return "dummy-" + tag
        if t == "int":
            return 7
        if t == "float":
            return 1.5
        if t == "bool":
            return True
        if t in ("object", "datetime", "date", "file"):
            return object()
        if t.startswith("list["):
            return [self.dummy(t[5:-1], tag)]
        if t.startswith("dict("):
            return {}
        cls = self.model_class(t)
        if cls is None:
            fail("type string not understood: %r" % type_str)
        return cls.__new__(cls)


# ---------------------------------------------------------------- required-ness

_required_cache = {}


def required_attrs(cls):
    """Attributes that __init__ assigns unconditionally (self.x = x at top level)."""
    if cls in _required_cache:
        return _required_cache[cls]
    src = textwrap.dedent(inspect.getsource(cls.__init__))
    fn = ast.parse(src).body[0]
    params = {a.arg for a in fn.args.args[1:]} | {a.arg for a in fn.args.kwonlyargs}
    req = set()
    for stmt in fn.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Attribute)
            and isinstance(stmt.targets[0].value, ast.Name)
            and stmt.targets[0].value.id == "self"
            and isinstance(stmt.value, ast.Name)
            and stmt.value.id in params
            and stmt.targets[0].attr == stmt.value.id
        ):
            req.add(stmt.value.id)
    unknown = req - set(cls.openapi_types)
    if unknown:
        fail("%s.__init__ assigns unknown attributes %s" % (cls.__name__, sorted(unknown)))
    _required_cache[cls] = req
    return req


def sensitive(cls):
    return set(getattr(cls, "sensitive_list", []) or [])


# ---------------------------------------------------------------- model schemas

def object_schema(cls, types, refs, odd, attrs=None, with_attr_ext=False):
    """Object schema of a model class (optionally restricted to some attributes)."""
    req = required_attrs(cls)
    sens = sensitive(cls)
    names = list(cls.openapi_types) if attrs is None else attrs
    required, props = [], {}
    for attr in names:
        wire = cls.attribute_map[attr]
        if wire in props:
            fail("%s: duplicate wire name %r" % (cls.__name__, wire))
        prop = types.schema(cls.openapi_types[attr], refs)
        if with_attr_ext or attr != wire:
            prop["x-codearts-attr"] = attr
        if attr in sens:
            prop["x-codearts-sensitive"] = True
        props[wire] = prop
        if attr in req:
            required.append(wire)
    out = {"type": "object"}
    if required:
        out["required"] = required
    out["properties"] = props
    return out


# ---------------------------------------------------------------- operations

def list_operations(client_cls):
    ops = []
    for name in sorted(vars(client_cls)):
        m = re.fullmatch(r"_(.+)_http_info", name)
        if m:
            ops.append(m.group(1))
    return ops


def build_operation(service, op, client_cls, types, comp_refs, odd):
    module = types.module
    info_fn = getattr(client_cls, "_%s_http_info" % op)
    if not callable(getattr(client_cls, op, None)):
        fail("%s: no public method %s" % (service, op))
    req_name = "".join(p[:1].upper() + p[1:] for p in op.split("_")) + "Request"
    req_cls = types.model_class(req_name)
    if req_cls is None:
        fail("%s: request class %s not found" % (op, req_name))
    kwargs = {a: types.dummy(t, a) for a, t in req_cls.openapi_types.items()}
    request = req_cls(**kwargs)
    info = info_fn(request)
    if info["request_type"] != req_name:
        fail("%s: request type mismatch" % op)
    resp_name = info["response_type"]
    resp_cls = types.model_class(resp_name)
    if resp_cls is None:
        fail("%s: response class %s not found" % (op, resp_name))

    wire_to_attr = {w: a for a, w in req_cls.attribute_map.items()}
    req_required = required_attrs(req_cls)
    req_sens = sensitive(req_cls)
    path = info["resource_path"]

    location = {}  # attr -> (in, wire)

    def place(where, wire):
        attr = wire_to_attr.get(wire)
        if attr is None:
            fail("%s: %s parameter %r matches no request attribute" % (op, where, wire))
        if attr in location:
            fail("%s: attribute %s placed twice" % (op, attr))
        location[attr] = (where, wire)

    for wire in info["path_params"]:
        place("path", wire)
        if "{%s}" % wire not in path:
            odd.append("%s %s: path param %r not in path %s" % (service, op, wire, path))
    for wire, _ in info["query_params"]:
        place("query", wire)
    content_type = None
    for wire in info["header_params"]:
        if wire == "Content-Type":
            content_type = info["header_params"][wire]
            continue
        place("header", wire)
    for wire in info["post_params"]:
        place("form", wire)
    body_attr = None
    if info["body"] is not None:
        for attr, val in kwargs.items():
            if val is info["body"]:
                body_attr = attr
        if body_attr is None:
            fail("%s: body does not come from a request attribute" % op)
        if body_attr in location:
            fail("%s: body attribute also placed elsewhere" % op)
        location[body_attr] = ("body", req_cls.attribute_map[body_attr])
    for attr in req_cls.openapi_types:
        if attr not in location:
            odd.append("%s %s: request attribute %r is not sent" % (service, op, attr))
    for placeholder in re.findall(r"\{([^}]+)\}", path):
        if placeholder not in info["path_params"]:
            odd.append("%s %s: placeholder {%s} has no path param" % (service, op, placeholder))
    if content_type is None:
        odd.append("%s %s: no Content-Type header" % (service, op))

    collection = info.get("collection_formats") or {}
    params = []
    form_attrs = []
    for attr, type_str in req_cls.openapi_types.items():
        if attr not in location:
            continue
        where, wire = location[attr]
        if where == "body":
            continue
        if where == "form":
            form_attrs.append(attr)
            continue
        p = {
            "name": wire,
            "in": where,
            "required": where == "path" or attr in req_required,
            "schema": types.schema(type_str, comp_refs),
            "x-codearts-attr": attr,
        }
        if attr in req_sens:
            p["x-codearts-sensitive"] = True
        if where == "query" and p["schema"].get("type") == "array":
            p["style"] = "form"
            p["explode"] = True
        fmt = collection.get(wire, collection.get(attr))
        if fmt is not None:
            p["x-codearts-collection"] = fmt
            if where != "query" or p["schema"].get("type") != "array":
                odd.append("%s %s: collection format on non-list/non-query %r" % (service, op, attr))
        params.append(p)

    operation = {
        "operationId": op,
        "x-codearts-request": req_name,
        "x-codearts-response": resp_name,
        "parameters": params,
    }

    if body_attr is not None or form_attrs:
        ctype = content_type or "application/json"
        if form_attrs:
            # Form parameters taken directly from request attributes.
            schema = object_schema(req_cls, types, comp_refs, odd, attrs=form_attrs, with_attr_ext=True)
            rb = {"required": any(a in req_required for a in form_attrs)}
        elif ctype == MULTIPART:
            body_type = req_cls.openapi_types[body_attr]
            body_cls = types.model_class(body_type)
            if body_cls is None:
                fail("%s: multipart body %r is not a model" % (op, body_type))
            schema = object_schema(body_cls, types, comp_refs, odd, with_attr_ext=True)
            rb = {"required": body_attr in req_required, "x-codearts-attr": body_attr}
        else:
            schema = types.schema(req_cls.openapi_types[body_attr], comp_refs)
            rb = {"required": body_attr in req_required, "x-codearts-attr": body_attr}
        rb["content"] = {ctype: {"schema": schema}}
        operation["requestBody"] = rb

    operation["x-codearts-content-type"] = content_type

    # responses
    resp_wire_to_attr = {w: a for a, w in resp_cls.attribute_map.items()}
    header_attrs = []
    headers = {}
    for wire in info["response_headers"]:
        attr = resp_wire_to_attr.get(wire)
        if attr is None:
            fail("%s: response header %r matches no response attribute" % (op, wire))
        header_attrs.append(attr)
        h = {"schema": types.schema(resp_cls.openapi_types[attr], comp_refs), "x-codearts-attr": attr}
        if attr in sensitive(resp_cls):
            h["x-codearts-sensitive"] = True
        headers[wire] = h
    body_attrs = [a for a in resp_cls.openapi_types if a not in header_attrs]
    response = {"description": "OK"}
    content_schema = None
    if len(body_attrs) == 1 and resp_cls.attribute_map[body_attrs[0]] == "body":
        response["x-codearts-body-attr"] = body_attrs[0]
        content_schema = types.schema(resp_cls.openapi_types[body_attrs[0]], comp_refs)
    elif body_attrs:
        comp_refs.add(resp_name)
        content_schema = {"$ref": "#/components/schemas/" + resp_name}
        if "body" in [resp_cls.attribute_map[a] for a in body_attrs]:
            odd.append("%s %s: response has a 'body' attribute next to others" % (service, op))
    if headers:
        response["headers"] = headers
    if content_schema is not None:
        response["content"] = {"application/json": {"schema": content_schema}}
    operation["responses"] = {"200": response}

    from huaweicloudsdkcore.sdk_stream_response import SdkStreamResponse

    if issubclass(resp_cls, SdkStreamResponse):
        operation["x-codearts-stream-response"] = True
        if body_attrs:
            odd.append("%s %s: stream response with body attributes" % (service, op))
    elif not body_attrs:
        odd.append("%s %s: response %s has no body attributes" % (service, op, resp_name))

    return info["method"].lower(), path, operation, resp_name


# ---------------------------------------------------------------- service

def regions(svc):
    from huaweicloudsdkcore.region.region import Region

    mod = importlib.import_module(svc["region_module"])
    cls = getattr(mod, svc["region_class"])
    out = []
    for name, val in vars(cls).items():  # class body order == file order
        if isinstance(val, Region):
            if len(val.endpoints) != 1:
                fail("%s: region %s has %d endpoints" % (svc["service"], val.id, len(val.endpoints)))
            out.append({"id": val.id, "endpoint": val.endpoints[0]})
    if not out:
        fail("%s: no regions" % svc["service"])
    return out


def count_models(module, pkg):
    """Model classes in the package and their required/optional attribute counts."""
    n = req = opt = 0
    for name in sorted(dir(module)):
        cls = getattr(module, name)
        if not (inspect.isclass(cls) and hasattr(cls, "openapi_types") and hasattr(cls, "attribute_map")):
            continue
        if not cls.__module__.startswith(pkg + "."):
            continue
        n += 1
        r = required_attrs(cls)
        req += len(r)
        opt += len(cls.openapi_types) - len(r)
    return n, req, opt


def build_service(svc, version):
    module = importlib.import_module("%s.%s" % (svc["package"], svc["api_version"]))
    client_cls = getattr(module, svc["client"])
    types = TypeParser(module)
    all_ops = list_operations(client_cls)
    if svc["only_ops"] is not None:
        missing = [o for o in svc["only_ops"] if o not in all_ops]
        if missing:
            fail("%s: operations not found: %s" % (svc["service"], missing))
        ops = sorted(svc["only_ops"])
    else:
        ops = all_ops
    if len(ops) != svc["expected_ops"]:
        fail("%s: expected %d operations, found %d" % (svc["service"], svc["expected_ops"], len(ops)))

    odd = []
    refs = set()
    paths = {}
    request_classes = set()
    for op in ops:
        method, path, operation, _ = build_operation(svc["service"], op, client_cls, types, refs, odd)
        request_classes.add(operation["x-codearts-request"])
        slot = paths.setdefault(path, {})
        if method in slot:
            fail("%s: duplicate %s %s (%s, %s)" % (svc["service"], method.upper(), path,
                                                   slot[method]["operationId"], op))
        slot[method] = operation

    # transitive closure over model references
    schemas = {}
    pending = sorted(refs)
    while pending:
        name = pending.pop()
        if name in schemas:
            continue
        if name in request_classes:
            fail("%s: request class %s referenced as a model" % (svc["service"], name))
        cls = types.model_class(name)
        new_refs = set()
        schema = object_schema(cls, types, new_refs, odd)
        schemas[name] = schema
        pending.extend(sorted(new_refs - set(schemas)))

    # response components hold only the non-header attributes
    for path_item in paths.values():
        for operation in path_item.values():
            rname = operation["x-codearts-response"]
            resp = operation["responses"]["200"]
            if rname in schemas and "headers" in resp:
                cls = types.model_class(rname)
                header_attrs = {h["x-codearts-attr"] for h in resp["headers"].values()}
                keep = [a for a in cls.openapi_types if a not in header_attrs]
                schemas[rname] = object_schema(cls, types, set(), odd, attrs=keep)

    sorted_paths = {}
    for path in sorted(paths):
        item = paths[path]
        for m in item:
            if m not in METHOD_ORDER:
                fail("unknown method %s" % m)
        sorted_paths[path] = {m: item[m] for m in METHOD_ORDER if m in item}

    region_list = regions(svc)
    spec = {
        "openapi": "3.0.3",
        "info": {"title": svc["title"], "version": svc["api_version"]},
        "x-codearts-service": svc["service"],
        "x-codearts-source": {"package": svc["package"], "version": version},
        "x-codearts-regions": region_list,
        "servers": [{"url": region_list[0]["endpoint"]}],
        "paths": sorted_paths,
        "components": {"schemas": {k: schemas[k] for k in sorted(schemas)}},
    }

    n_models, n_req, n_opt = count_models(module, svc["package"])
    stats = {
        "ops": len(ops),
        "package_models": n_models,
        "package_required": n_req,
        "package_optional": n_opt,
        "components": len(schemas),
        "paths": len(sorted_paths),
    }
    return spec, stats, odd


# ---------------------------------------------------------------- lock file

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wheel_entries_from_dir(wheel_dir, version):
    entries = []
    for pkg in PACKAGES:
        prefix = "%s-%s-" % (pkg, version)
        found = sorted(f for f in os.listdir(wheel_dir) if f.startswith(prefix) and f.endswith(".whl"))
        if len(found) != 1:
            fail("expected exactly one wheel %s*.whl in %s, found %s" % (prefix, wheel_dir, found))
        entries.append({
            "name": pkg,
            "version": version,
            "wheel": found[0],
            "sha256": sha256_file(os.path.join(wheel_dir, found[0])),
        })
    return entries


def download_wheels(version, dest):
    for pkg in PACKAGES:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "%s==%s" % (pkg, version), "-d", dest],
            check=True,
        )


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo-root", required=True)
    ap.add_argument("--version", required=True)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--wheel-dir")
    g.add_argument("--reuse-lock-wheels", action="store_true")
    args = ap.parse_args()

    for pkg in PACKAGES:
        installed = importlib.metadata.version(pkg)
        if installed != args.version:
            fail("%s %s is installed, expected %s" % (pkg, installed, args.version))

    spec_dir = os.path.join(args.repo_root, "spec")
    lock_path = os.path.join(spec_dir, "spec.lock.json")

    # wheel hashes first, so nothing is written if they cannot be obtained
    if args.reuse_lock_wheels:
        if not os.path.exists(lock_path):
            fail("--reuse-lock-wheels: %s does not exist" % lock_path)
        with open(lock_path, encoding="utf-8") as f:
            old = json.load(f)
        if old.get("version") != args.version:
            fail("--reuse-lock-wheels: lock is for version %s" % old.get("version"))
        wheels = old["packages"]
        if [w["name"] for w in wheels] != PACKAGES:
            fail("--reuse-lock-wheels: lock lists other packages")
    elif args.wheel_dir:
        wheels = wheel_entries_from_dir(args.wheel_dir, args.version)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            download_wheels(args.version, tmp)
            wheels = wheel_entries_from_dir(tmp, args.version)

    outputs = []
    all_odd = []
    for svc in SERVICES:
        spec, stats, odd = build_service(svc, args.version)
        outputs.append(("spec/%s.json" % svc["service"], dump(spec)))
        all_odd.extend(odd)
        print("%-16s ops=%d paths=%d components=%d | package models=%d required=%d optional=%d" % (
            svc["service"], stats["ops"], stats["paths"], stats["components"],
            stats["package_models"], stats["package_required"], stats["package_optional"]))

    os.makedirs(spec_dir, exist_ok=True)
    files = {}
    for rel, text in outputs:
        data = text.encode("utf-8")
        with open(os.path.join(args.repo_root, rel), "wb") as f:
            f.write(data)
        files[rel] = hashlib.sha256(data).hexdigest()

    lock = {
        "version": args.version,
        "packages": wheels,
        "files": files,
    }
    with open(lock_path, "wb") as f:
        f.write(dump(lock).encode("utf-8"))

    for line in all_odd:
        print("note: " + line)
    print("wrote %s and spec/spec.lock.json" % ", ".join(rel for rel, _ in outputs))


if __name__ == "__main__":
    try:
        main()
    except SpecError as e:
        print("import_spec: error: %s" % e, file=sys.stderr)
        sys.exit(1)
