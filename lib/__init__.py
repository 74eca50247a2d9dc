"""PA Support Benchmark: data layer, scoring, reference data and charts.

Pages import from here; nothing in lib/ imports Streamlit except `lib.web`.
"""
