"""Alur's web layer: Flask app, storage, routes. Talks to SpiffWorkflow only through `engine`."""
