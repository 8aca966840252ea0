"""The load -> engine -> save units every route and the worker go through."""
