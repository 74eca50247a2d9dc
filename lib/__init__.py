"""PA Support Benchmark's code, as packages in layers (ARCHITECTURE.md; checked by lint-imports).

Pages import from here. Only lib.web (and the pages) import Streamlit; the command line, the API
and the tests use the rest without it.
"""
