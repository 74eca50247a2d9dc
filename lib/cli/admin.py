"""`admin-hash`: make the password hash that enables the Data management page."""

from __future__ import annotations

import argparse
import getpass
import sys

from lib.base import passwords
from lib.cli.shared import CliError


def cmd_admin_hash(args: argparse.Namespace) -> int:
    first = getpass.getpass("New administrator password: ")
    if len(first) < 12:
        raise CliError("use a password of at least 12 characters")
    second = getpass.getpass("Type it again: ")
    if first != second:
        raise CliError("the two passwords differ; nothing was made")
    encoded = passwords.hash_password(first)
    print(encoded)
    print(f"Put this in .streamlit/secrets.toml as {passwords.HASH_SECRET} = \"...\" or in the environment "
          f"variable {passwords.HASH_ENV}, then restart the dashboard.", file=sys.stderr)
    return 0


def add_admin_hash(sub) -> None:
    sub.add_parser("admin-hash", help="make the administrator password hash").set_defaults(func=cmd_admin_hash)
