"""Practice Studio: a local web app to write, hear and export practices without touching YAML.

The package is the web layer only: routes in `app`, the server in `server`, and thin adapters
(`workspace`, `document`, `jobs`) that call the same core functions as the command line.
"""
