"""Serving the dashboard from several processes: nginx in front of N replicas (README, "Running
several replicas"). `replicas` starts them on this machine; `compose.yaml` is the production
layout."""
