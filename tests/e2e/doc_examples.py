#!/usr/bin/env python3
"""The examples of README.md and docs/*.md, for tests/e2e/test_docs_examples.sh.

Every fenced code block (but ```text ones, which show a syntax) must follow a marker
`<!-- example: ID -->`, so that a new example cannot land without a test naming it.

  doc_examples.py ids                   every example's id, one per line
  doc_examples.py block ID              the example's text
  doc_examples.py steps ID KEY=VALUE... the shell of a CI file's steps that run rcd or install it,
                                        with ${{ expressions }} and $NAME variables of the file
                                        replaced by the KEY=VALUE pairs given
"""
import glob, os, re, sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
MARKER = re.compile(r"<!-- example: ([a-z0-9-]+) -->")


def examples():
    found, unmarked = {}, []
    for path in [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))):
        lines = open(path).read().split("\n")
        i = 0
        while i < len(lines):
            if lines[i].startswith("```"):
                info = lines[i][3:].strip()
                end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
                marker = MARKER.fullmatch(lines[i - 1].strip()) if i > 0 else None
                if marker:
                    found[marker.group(1)] = "\n".join(lines[i + 1:end]) + "\n"
                elif info != "text":
                    unmarked.append(f"{os.path.relpath(path, ROOT)}:{i + 1}")
                i = end
            i += 1
    if unmarked:
        sys.exit("examples without an '<!-- example: ID -->' marker: " + ", ".join(unmarked))
    return found


def substitute(text, values):
    def expression(match):
        name = match.group(1).strip()
        if name not in values:
            sys.exit(f"no value given for ${{{{ {name} }}}}")
        return values[name]
    return re.sub(r"\$\{\{([^}]*)\}\}", expression, text)


# A command that installs rcd, runs it, or uses what it handed on.
RUNS_RCD = re.compile(r"\brcd\b|RCD_DOWNLOAD_URL|\$RCD_IMAGE")


def steps(doc, values):
    """The commands of a GitHub workflow, a GitLab pipeline or a CodeBuild buildspec that
    install or run rcd, in order, each with the variables its file sets."""
    out = []
    if "jobs" in doc:  # GitHub Actions
        for job in doc["jobs"].values():
            for step in job.get("steps", []):
                run = step.get("run")
                if run and RUNS_RCD.search(run):
                    env = {k: substitute(str(v), values) for k, v in step.get("env", {}).items()}
                    out.append((env, substitute(run, values)))
    elif "phases" in doc:  # AWS CodeBuild
        env = {k: str(v) for k, v in doc.get("env", {}).get("variables", {}).items()}
        for phase in doc["phases"].values():
            for command in phase.get("commands", []):
                if RUNS_RCD.search(command):
                    out.append((env, command))
    else:  # GitLab CI: each job's before_script and script lines, and its dotenv report
        for name, job in doc.items():
            if not isinstance(job, dict) or "script" not in job:
                continue
            env = {k: str(v) for k, v in job.get("variables", {}).items()}
            for command in job.get("before_script", []) + job["script"]:
                if RUNS_RCD.search(command):
                    out.append((env, command))
            # The later jobs see a dotenv report's variables.
            report = job.get("artifacts", {}).get("reports", {}).get("dotenv")
            if report:
                out.append((None, f"set -a; . ./{report}; set +a"))
    script = []
    for env, command in out:
        if env is None:  # runs in the script's own shell
            script.append(command)
            continue
        exports = "".join(f"export {k}={shell_quote(expand(v, values))}\n" for k, v in env.items())
        script.append(f"(\n{exports}{command}\n) || exit $?")
    return "\n".join(script) + "\n"


def expand(value, values):
    """A variable of the CI file ($CI_REGISTRY_IMAGE) replaced by the value the test gives it."""
    return re.sub(r"\$([A-Z_][A-Z0-9_]*)", lambda m: values.get(m.group(1), m.group(0)), value)


def shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def main():
    found = examples()
    if sys.argv[1] == "ids":
        print("\n".join(found))
    elif sys.argv[1] == "block":
        sys.stdout.write(found[sys.argv[2]])
    elif sys.argv[1] == "steps":
        values = dict(arg.split("=", 1) for arg in sys.argv[3:])
        sys.stdout.write(steps(yaml.safe_load(found[sys.argv[2]]), values))


main()
