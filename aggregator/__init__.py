"""Outage Radar's web side: report intake, read API and pages."""


def create_app(config=None):
    """Build the Flask app; `config` maps setting names to values that win over the environment."""
    # Imported here so that `workers`, which shares settings and the catalog, never imports Flask.
    from .app import build_app

    return build_app(config)
