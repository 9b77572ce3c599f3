#!/usr/bin/env python3
"""Vendors a Go module's dependencies from Debian's golang-*-dev packages
(/usr/share/gocode/src), since no module proxy is reachable: copies each module the build
asks for into vendor/, lists it in vendor/modules.txt at v0.0.0 (vN.0.0 for a /vN module) and requires it in go.mod,
until `go build -mod=vendor ./...` finds every package. Usage: go_vendor.py DIR"""
import os, re, shutil, subprocess, sys

SRC = "/usr/share/gocode/src"
root = sys.argv[1]
modules = {}  # module path -> [package paths]
go_lines = {}  # module path -> its go.mod's go version (the language its files are compiled as)


def module_of(package):
    """(module path, its directory under SRC) for the nearest go.mod above package. Debian
    keeps a /vN module at the path without /vN: its go.mod's module line says which."""
    parts = package.split("/")
    for n in range(len(parts), 0, -1):
        candidate = "/".join(parts[:n])
        for directory in (candidate, re.sub(r"/v\d+$", "", candidate)):
            mod = os.path.join(SRC, directory, "go.mod")
            if os.path.isfile(mod):
                line = re.search(r"^module\s+(\S+)", open(mod).read(), re.M)
                if line and line.group(1) == candidate:
                    return candidate, directory
    # Without a go.mod: the repository's root (host/owner/name), as GOPATH knew it.
    if os.path.isdir(os.path.join(SRC, package)):
        return "/".join(parts[:3]), "/".join(parts[:3])
    return None, None


def packages_of(module, directory):
    out = []
    base = os.path.join(SRC, directory)
    for dirpath, dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, base)
        dirnames[:] = [d for d in dirnames if d not in ("testdata", "vendor") and not d.startswith((".", "_"))
                       and not re.fullmatch(r"v\d+", d) and not os.path.isfile(os.path.join(dirpath, d, "go.mod"))]
        if any(f.endswith(".go") and not f.endswith("_test.go") for f in filenames):
            out.append(module if rel == "." else module + "/" + rel)
    return sorted(out)


def version(module):
    """v0.0.0, or vN.0.0 for a module whose path says its major version (/v2, gopkg.in/x.v3)."""
    m = re.search(r"(?:/v|\.v)(\d+)$", module)
    return f"v{m.group(1)}.0.0" if m and int(m.group(1)) >= 2 else "v0.0.0"


def write():
    with open(os.path.join(root, "go.mod"), "w") as f:
        f.write(open(os.path.join(root, "go.mod.in")).read())
        if modules:
            f.write("\nrequire (\n" + "".join(f"\t{m} {version(m)}\n" for m in sorted(modules)) + ")\n")
    with open(os.path.join(root, "vendor", "modules.txt"), "w") as f:
        for m in sorted(modules):
            go = go_lines.get(m)
            f.write(f"# {m} {version(m)}\n## explicit{'; go ' + go if go else ''}\n" +
                    "".join(p + "\n" for p in modules[m]))


os.makedirs(os.path.join(root, "vendor"), exist_ok=True)
missing_re = re.compile(r"(?:cannot find module providing package|no required module provides package|package) ([^\s:;]+)")
for _ in range(200):
    write()
    run = subprocess.run(["go", "build", "-mod=vendor", "-o", os.devnull, "./..."], cwd=root,
                         capture_output=True, text=True, env={**os.environ, "GOFLAGS": "", "GOPROXY": "off"})
    if run.returncode == 0:
        print(f"vendored {len(modules)} modules, "
              f"{sum(len(p) for p in modules.values())} packages", file=sys.stderr)
        sys.exit(0)
    wanted = set(m.group(1) for m in missing_re.finditer(run.stderr) if "." in m.group(1).split("/")[0])
    wanted |= set(re.findall(r"in:\n\t" + re.escape(root) + r"/vendor/(\S+)", run.stderr))
    added = False
    for package in sorted(wanted):
        module, directory = module_of(package)
        if not module or module in modules:
            continue
        shutil.copytree(os.path.join(SRC, directory), os.path.join(root, "vendor", module),
                        ignore=shutil.ignore_patterns("testdata", "*_test.go", ".git"), symlinks=False,
                        dirs_exist_ok=True)
        modules[module] = packages_of(module, directory)
        mod = os.path.join(SRC, directory, "go.mod")
        if os.path.isfile(mod) and (go := re.search(r"^go\s+(\S+)", open(mod).read(), re.M)):
            go_lines[module] = go.group(1)
        added = True
    if not added:
        sys.exit("go_vendor.py: cannot vendor:\n" + run.stderr)
sys.exit("go_vendor.py: gave up after 200 rounds")
