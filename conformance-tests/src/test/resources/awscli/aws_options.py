"""Print every option the installed AWS CLI accepts: the global ones, then each `aws kms`
command's, one per line as `COMMAND OPTION VALUE|FLAG` (COMMAND is `-` for global options).

usage: aws_options.py COMMAND...
"""
import sys

from awscli.clidriver import create_clidriver


def takes_value(arg):
    action = getattr(arg, '_action', None)
    return not (action in ('store_true', 'store_false') or arg.cli_type_name == 'boolean')


def main():
    driver = create_clidriver()
    for name, arg in driver._get_argument_table().items():
        if name != 'version':
            print('-', '--' + name, 'VALUE' if takes_value(arg) else 'FLAG')
    kms = driver._get_command_table()['kms']._get_command_table()
    for command in sys.argv[1:]:
        for name, arg in kms[command].arg_table.items():
            print(command, '--' + name, 'VALUE' if takes_value(arg) else 'FLAG')


if __name__ == '__main__':
    main()
