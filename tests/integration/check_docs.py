#!/usr/bin/env python3
"""tests/integration/check_docs.py -- two checks that keep the written word true to the tree.

headers: the opening comment of every source file (C, CUDA, shell, Python, the Makefile) must
  describe what the file is, not work still to come: it may not name an issue number, a TODO or
  FIXME, "not yet", "for now", "still to come", "a later change" and the like.
names: every repository path that README.md or docs/*.md names (engine/..., harness/...,
  tests/..., with {a,b} and * patterns expanded) must exist in the tree, or in the shared data
  folder beside it (TB_SHARED, else ../shared) for models/ and datasets/ files; a program named
  without its .c (tools/mkbench) counts when the source exists. Model files (*.gguf) in examples
  are the reader's own and are not checked.

usage: check_docs.py headers|names [ROOT]; prints one line per finding, exit 1 when any."""
import glob
import os
import re
import subprocess
import sys

TOPS = ('engine', 'harness', 'providers', 'suites', 'reports', 'tests', 'tools', 'scripts', 'docs',
        'examples', 'datasets', 'models', 'cli', 'base')
TO_COME = re.compile(r"\b(todo|fixme|xxx|next issue|issues? #?\d+|not yet|for now|still to come|"
                     r"later (?:issue|change|session|stop|wave|step)|in a later|to be (?:done|added|"
                     r"written)|will (?:be added|come|land)|coming soon|placeholder)\b", re.I)


def tracked():
    r = subprocess.run(['git', 'ls-files'], capture_output=True, text=True)
    if r.returncode == 0 and r.stdout.strip():
        return [f for f in r.stdout.split('\n') if f and os.path.isfile(f)]
    out = []
    for d, dirs, fs in os.walk('.'):
        dirs[:] = [x for x in dirs if x not in ('.git', 'build', 'bin') and not x.startswith('.')]
        out += [os.path.relpath(os.path.join(d, f)) for f in fs]
    return out


def header(path, text):
    """The file's opening comment: a C block comment, or the leading # lines / docstring."""
    if path.endswith(('.c', '.h', '.cu', '.cuh')):
        m = re.match(r'\s*/\*.*?\*/', text, re.S)
        return m.group(0) if m else ''
    if path.endswith('.py'):
        m = re.match(r'(?:#[^\n]*\n|\s*\n)*\s*("""|\'\'\')(.*?)\1', text, re.S)
        if m:
            return m.group(2)
    lines = []
    for line in text.split('\n'):
        if line.startswith('#'):
            lines.append(line)
        elif lines or line.strip():
            break
    return '\n'.join(lines)


def check_headers():
    bad = 0
    for f in sorted(tracked()):
        if not (f.endswith(('.c', '.h', '.cu', '.cuh', '.sh', '.py')) or os.path.basename(f) == 'Makefile'):
            continue
        with open(f, errors='replace') as fh:
            h = header(f, fh.read())
        for m in TO_COME.finditer(h):
            if m.group(0).lower() == 'xxx' and 'XXXXXX' in h:
                continue
            line = h.count('\n', 0, m.start()) + 1
            print(f'{f}:{line}: the header speaks of work to come: "{m.group(0)}"')
            bad += 1
    return bad


def braces(p):
    m = re.search(r'\{([^{}]*)\}', p)
    if not m:
        return [p]
    return [q for alt in m.group(1).split(',') for q in braces(p[:m.start()] + alt + p[m.end():])]


def check_names():
    shared = os.environ.get('TB_SHARED') or ('../shared' if os.path.isdir('../shared') else None)
    ref = re.compile(r'(?<![\w./{}*$-])((?:%s)/[\w./{},*-]*[\w}*])' % '|'.join(TOPS))
    bad = 0
    for f in sorted(glob.glob('*.md') + glob.glob('docs/*.md')):
        with open(f, errors='replace') as fh:
            for n, line in enumerate(fh, 1):
                for m in ref.finditer(line):
                    p = m.group(1).rstrip('.,')
                    if p.endswith('.gguf'):
                        continue
                    for q in braces(p):
                        bases = ['.']
                        if q.startswith(('models/', 'datasets/')):
                            if not shared and not glob.glob(q):
                                continue
                            bases.append(shared or '.')
                        if not any(glob.glob(os.path.join(b, q)) or glob.glob(os.path.join(b, q) + '.c')
                                   for b in bases):
                            print(f'{f}:{n}: names {q}, which does not exist')
                            bad += 1
    return bad


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ('headers', 'names'):
        sys.stderr.write('usage: check_docs.py headers|names [ROOT]\n')
        return 2
    if len(sys.argv) > 2:
        os.chdir(sys.argv[2])
    return 1 if (check_headers() if sys.argv[1] == 'headers' else check_names()) else 0


if __name__ == '__main__':
    sys.exit(main())
