"""Format many values with the installed AWS CLI's formatters, for CliOutputFormatsTest.

stdin: a JSON list of [format, title, query, value]; stdout: each result followed by a line
holding only \\x1e; \\x15 starts the result for a value the AWS CLI fails on. yaml is AWS CLI v2's format, emulated with PyYAML's safe dumper (the emitter
ruamel.yaml's derives from) with the same settings.
"""
import argparse
import io
import json
import sys

import jmespath
from awscli.formatter import get_formatter


def main():
    cases = json.load(sys.stdin)
    for fmt, title, query, value in cases:
        out = io.StringIO()
        compiled = jmespath.compile(query) if query else None
        if fmt == 'yaml':
            import yaml
            v = compiled.search(value) if compiled else value
            if v != {}:
                yaml.safe_dump(v, out, default_flow_style=False, allow_unicode=True)
        else:
            args = argparse.Namespace(query=compiled, color='off')
            try:
                get_formatter(fmt, args)(title, value, out)
            except (ValueError, AttributeError, TypeError):
                # The AWS CLI cannot lay this value out (e.g. a table of ragged lists).
                out = io.StringIO('\x15AWS CLI FAILED')
        sys.stdout.write(out.getvalue())
        sys.stdout.write('\x1e\n')


if __name__ == '__main__':
    main()
