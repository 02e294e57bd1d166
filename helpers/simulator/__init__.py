"""A local Vonage Voice API that records calls against scripted phones, offline."""

from .server import Simulator

__all__ = ["Simulator"]
