"""The Flask-free base the web app and the workers share: settings, the catalog, Redis clients, errors, time."""
