"""`python -m lib.cli`: the command line (lib/cli/main.py)."""
from lib.cli.main import main

raise SystemExit(main())
