"""Format a saved AWS KMS JSON response with the installed AWS CLI's own code.

usage: aws_format.py FORMAT OPERATION QUERY RESPONSE_FILE [TIMESTAMP_FORMAT]

The response bytes go through botocore's JSON response parser with the KMS model and the
AWS CLI's scalar parsers (blobs as received, timestamps as received or ISO 8601), exactly as
`aws kms <operation>` would parse them, then through the AWS CLI's formatter for FORMAT
(json, text, table; yaml is AWS CLI v2's, emulated with PyYAML's safe dumper, from whose
emitter ruamel.yaml's derives). An empty QUERY means no --query. Colour is off, and the table
width is 80 because stdout is a pipe, as for `aws ... | cat`.
"""
import argparse
import sys

import botocore.parsers
import botocore.session
import jmespath
from awscli.customizations.scalarparse import identity, iso_format
from awscli.formatter import get_formatter


def main():
    fmt, operation, query, path = sys.argv[1:5]
    timestamps = sys.argv[5] if len(sys.argv) > 5 else 'none'
    model = botocore.session.get_session().get_service_model('kms')
    factory = botocore.parsers.ResponseParserFactory()
    factory.set_parser_defaults(
        blob_parser=identity,
        timestamp_parser=iso_format if timestamps == 'iso8601' else identity)
    with open(path, 'rb') as f:
        body = f.read()
    parsed = factory.create_parser('json').parse(
        {'status_code': 200, 'headers': {}, 'body': body},
        model.operation_model(operation).output_shape)
    parsed.pop('ResponseMetadata', None)
    compiled = jmespath.compile(query) if query else None
    if fmt == 'yaml':
        import yaml
        value = compiled.search(parsed) if compiled else parsed
        if value != {}:
            yaml.safe_dump(value, sys.stdout, default_flow_style=False, allow_unicode=True)
        return
    args = argparse.Namespace(query=compiled, color='off')
    get_formatter(fmt, args)(operation, parsed, sys.stdout)


if __name__ == '__main__':
    main()
