"""The command line, `python -m lib.cli COMMAND` (entry point: lib.cli.main.main).

main              the parser (the command list in its docstring is the `--help` text) and exit statuses
shared            CliError, safe output, opening the database with the lock wait, publishing after a
                  write, the checks on an --out path
database          build, refresh, reset-demo, detail, publish, versions, rollback
data_out          scores, export, template, rounds, councils
data_in           validate, import
collection_steps  the `collection ...` subcommands
admin             admin-hash
"""
