"""A telephone helpline for people in Norway who may be victims of human trafficking."""

from .app import create_app

__all__ = ["create_app"]
