#!/usr/bin/env python3
"""Convert-ErrorSites: rewrites the old way of raising an error into the error table's.

Issue 12 moved every ErrorId into one table (src/ClutterDR.Engine/Errors/Errors*.cs, one ErrorDef per id with
its FailureKind, terminating or not, and what it means). This script rewrites the sites that still build an
error the old way:

    new ClutterException("BackupNotFound", FailureKind.ObjectNotFound, message, target)
      -> new ClutterException(Errors.BackupNotFound, message, target)
    new("ManifestInvalid", FailureKind.InvalidData, ...)                 (target-typed)
      -> new(Errors.ManifestInvalid, ...)
    new ClutterException(cond ? "SourceNotFound" : "DestinationNotFolder", FailureKind.InvalidArgument, ...)
      -> new ClutterException(cond ? Errors.SourceNotFound.As(FailureKind.InvalidArgument) : Errors.DestinationNotFolder, ...)
    new ClutterException(e.ErrorId, e.Kind, message, ...)               (a rethrow with a longer message)
      -> new ClutterException(e.Error, message, ...)

A kind other than the entry's Kind becomes `.As(FailureKind.X)`, allowed only when the entry lists it in
OtherKinds. Only the id and kind arguments are replaced; the message, target, inner exception and the layout
(calls over several lines) stay as they are. Sites already in the table form are left alone, so running it twice
changes nothing.

It fails loudly (exit 1, no file written) on an id the table lacks, a kind the entry does not allow, and any
site it does not recognise (an id held in a variable, a `new ClutterException("...` it cannot parse): add the id
to the table, or rewrite that site by hand, and run it again.

Usage (from the repository root):
    python3 tools/Convert-ErrorSites.py            # rewrite src/ and tests/ClutterDR.Tests/
    python3 tools/Convert-ErrorSites.py --check    # only report; exit 1 when a site is left to convert
    python3 tools/Convert-ErrorSites.py PATH...    # other folders or files
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE_DIR = os.path.join(ROOT, 'src', 'ClutterDR.Engine', 'Errors')
DEFAULT_PATHS = [os.path.join(ROOT, 'src'), os.path.join(ROOT, 'tests', 'ClutterDR.Tests')]

ENTRY = re.compile(
    r'public\s+static\s+readonly\s+ErrorDef\s+(\w+)\s*=\s*new\s*\(\s*"(\w+)"\s*,\s*FailureKind\.(\w+)\s*,'
    r'(?P<rest>.*?);\s*$', re.S | re.M)
OTHER_KINDS = re.compile(r'OtherKinds\s*=\s*\[([^\]]*)\]')

ID = r'"([A-Z][A-Za-z0-9]*)"'
# new ClutterException( or a target-typed new( ... then the id argument and the kind argument.
SITE = re.compile(
    r'(?P<head>\bnew\s*(?:ClutterException\s*)?\(\s*)'
    r'(?:(?P<cond>[!\w.]+(?:\s*(?:==|!=)\s*[\w.]+)?)\s*\?\s*' + ID.replace('(', '(?P<a>', 1) + r'\s*:\s*' + ID.replace('(', '(?P<b>', 1) +
    r'|' + ID.replace('(', '(?P<id>', 1) +
    r'|(?P<from>\w+)\.ErrorId)'
    r'\s*,\s*(?:FailureKind\.(?P<kind>\w+)|(?P<fromkind>\w+)\.Kind)\s*,')
# Anything still building an error from a string id, or an id argument followed by a kind this script does not know.
LEFT_LITERAL = re.compile(r'\bnew\s+ClutterException\s*\(\s*(?:@|\$)*"')
LEFT_KIND = re.compile(r'\bnew\s*(?:ClutterException\s*)?\(\s*([^,()]+?)\s*,\s*FailureKind\.\w+\s*,')


def load_table():
    table = {}
    files = [f for f in os.listdir(TABLE_DIR) if f.startswith('Errors') and f.endswith('.cs')]
    for f in sorted(files):
        text = open(os.path.join(TABLE_DIR, f), encoding='utf-8').read()
        for m in ENTRY.finditer(text):
            field, eid, kind = m.group(1), m.group(2), m.group(3)
            if field != eid:
                sys.exit(f'{f}: the field {field} holds the id {eid}; name each field after its id')
            if eid in table:
                sys.exit(f'{f}: {eid} is in the table twice')
            others = OTHER_KINDS.search(m.group('rest'))
            kinds = [kind] + ([k.strip().removeprefix('FailureKind.') for k in others.group(1).split(',') if k.strip()] if others else [])
            table[eid] = kinds
    if len(table) < 10:
        sys.exit(f'the error table under {TABLE_DIR} could not be read ({len(table)} entries found)')
    return table


def line_of(text, index):
    return text.count('\n', 0, index) + 1


def convert(text, path, table, problems):
    def ref(eid, kind, at):
        kinds = table.get(eid)
        if kinds is None:
            problems.append(f'{path}:{line_of(text, at)}: {eid} is not in the error table (src/ClutterDR.Engine/Errors/): add it, with its meaning')
            return None
        if kind == kinds[0]:
            return f'Errors.{eid}'
        if kind in kinds[1:]:
            return f'Errors.{eid}.As(FailureKind.{kind})'
        problems.append(f'{path}:{line_of(text, at)}: {eid} is raised here as {kind}, but its table entry is {kinds[0]}'
                        f'{" (or " + ", ".join(kinds[1:]) + ")" if len(kinds) > 1 else ""}: add {kind} to its OtherKinds or fix the site')
        return None

    def replace(m):
        at = m.start()
        if m.group('from'):
            if m.group('fromkind') != m.group('from'):
                problems.append(f'{path}:{line_of(text, at)}: {m.group("from")}.ErrorId with another kind: rewrite by hand')
                return m.group(0)
            return f'{m.group("head")}{m.group("from")}.Error,'
        kind = m.group('kind')
        if kind is None:
            problems.append(f'{path}:{line_of(text, at)}: a string id with the kind of another exception: rewrite by hand')
            return m.group(0)
        if m.group('id'):
            r = ref(m.group('id'), kind, at)
            return m.group(0) if r is None else f'{m.group("head")}{r},'
        a, b = ref(m.group('a'), kind, at), ref(m.group('b'), kind, at)
        return m.group(0) if a is None or b is None else f'{m.group("head")}{m.group("cond")} ? {a} : {b},'

    out = SITE.sub(replace, text)
    # What is left unconverted is reported once per line (a site with a problem above stays as it was).
    seen = {p.split(': ', 1)[0] for p in problems}
    def left(index, why):
        where = f'{path}:{line_of(out, index)}'
        if where not in seen:
            seen.add(where)
            problems.append(f'{where}: {why}: rewrite it by hand')
    for m in LEFT_LITERAL.finditer(out):
        left(m.start(), 'a new ClutterException("... this script cannot parse')
    for m in LEFT_KIND.finditer(out):
        if not m.group(1).strip().startswith('Errors.'):
            left(m.start(), f'an error built from "{m.group(1).strip()}" and a FailureKind')
    return out


def source_files(paths):
    for p in paths:
        if os.path.isfile(p):
            yield p
            continue
        for root, dirs, files in os.walk(p):
            dirs[:] = [d for d in dirs if d not in ('bin', 'obj')]
            for f in files:
                full = os.path.join(root, f)
                if f.endswith('.cs') and os.path.dirname(os.path.abspath(full)) != TABLE_DIR:
                    yield full


def main(argv):
    check = '--check' in argv
    paths = [a for a in argv if a != '--check'] or DEFAULT_PATHS
    table = load_table()
    problems, changed = [], {}
    for f in source_files(paths):
        text = open(f, encoding='utf-8', newline='').read()
        rel = os.path.relpath(f, ROOT)
        new = convert(text, rel, table, problems)
        if new != text:
            changed[f] = new
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        print(f'Convert-ErrorSites: {len(problems)} site(s) need attention; nothing was written.', file=sys.stderr)
        return 1
    for f in sorted(changed):
        print(f'{"would convert" if check else "converted"} {os.path.relpath(f, ROOT)}')
        if not check:
            with open(f, 'w', encoding='utf-8', newline='') as w:
                w.write(changed[f])
    print(f'Convert-ErrorSites: {len(changed)} file(s) {"to convert" if check else "converted"}, table of {len(table)} ids.')
    return 1 if check and changed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
